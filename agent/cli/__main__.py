"""`python -m archassist.agent.cli` runs the command line."""

from archassist.agent.cli.root import main

main()
