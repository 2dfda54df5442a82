"""The Design model and everything that reads, writes and reports on it: loading with source positions, saving,
findings, precedents and the naming helpers that keep names consistent."""
