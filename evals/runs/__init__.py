"""Eval runs: orchestration (scenarios × contestants × epochs), storage in the memory database, statistics,
rescoring and the Message Batches path for Claude contestants."""
