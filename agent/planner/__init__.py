"""The offline planner: reads a brief, looks up the knowledge base and composes a complete Design."""
