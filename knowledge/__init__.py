"""The curated knowledge base (data): business domains and patterns."""
