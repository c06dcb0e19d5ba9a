"""Entry point for ``python -m celerylint``."""

from celerylint.cli import main

main()
