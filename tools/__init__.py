"""The MCP server: tools, prompts and resources over archassist.agent."""
