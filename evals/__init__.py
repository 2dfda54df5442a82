"""The championship eval harness: scenarios, contestants and scorers."""
