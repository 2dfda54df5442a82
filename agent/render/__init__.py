"""Renderers: the Markdown document, JSON and YAML, the architect's report, Mermaid and SARIF."""
