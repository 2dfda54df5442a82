"""Jinja2 templates of the architect role prompt and the per-mode prompts."""
