"""Artifacts derived from one Design: AsyncAPI documents, schemas, topic configs, SQL and an event catalog."""
