"""Contestants: what produces a Design for a scenario. Each module holds one kind; each class implements
:class:`archassist.evals.base.Contestant` (``name``, ``params``, ``design(scenario)``).
``spec.contestant_from_spec`` builds one from the words of ``--contestants``."""
