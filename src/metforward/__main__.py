"""``python -m metforward`` runs the command-line interface."""

from metforward.cli import main

main()
