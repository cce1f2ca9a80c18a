"""``python -m aorgen.cli``."""

from aorgen.cli import main

main()
