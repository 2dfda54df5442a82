"""Contestants: whoever designs for a scenario. ``spec.contestant_from_spec`` builds one from its words."""
