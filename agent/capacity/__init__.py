"""The capacity and failure model: pure functions that the planner, the rules, the reliability mode and the eval
scorers share, so every figure the product reports comes from one computation."""
