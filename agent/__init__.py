"""The assistant itself: the Design model, modes, planner, rules, memory, backends, renderers and CLI."""
