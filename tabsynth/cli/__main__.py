"""``python -m tabsynth.cli``."""

from tabsynth.cli import main

main()
