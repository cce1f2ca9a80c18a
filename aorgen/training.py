"""Alias of :mod:`aorgen.mitigate.training` (training input for Qwen audio LMs)."""

from aorgen.mitigate.training import *  # noqa: F401,F403
from aorgen.mitigate.training import __all__  # noqa: F401
