"""The five modes. Each takes plain inputs and returns a result object; none prints or exits."""
