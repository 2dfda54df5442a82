"""Event contracts: the contract of one event, its JSON Schema and Avro artifacts, schema compatibility checking
under the Schema Registry modes, and the contract diff of two designs.

Contract mode (:mod:`archassist.agent.modes.contract`) is the public door; the modules here hold the machinery.
"""
