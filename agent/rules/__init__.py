"""Rules that check a Design against the discipline of event-driven architecture."""
