"""The command line: a thin shell over the library functions (which the tests call).

One module per stage (``content``, ``dataset``, ``evaluate``, ``mitigate``) registers its
commands on the group in ``group``; ``options`` holds what they share. A new command goes
into the module of its stage (``aorgen --help`` lists it under that stage)."""

from aorgen.cli.group import main
from aorgen.cli import content, dataset, evaluate, mitigate  # noqa: E402,F401  (register the commands)

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
