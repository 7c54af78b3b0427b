"""Alias of :mod:`ctanb.simulate`, kept for the tutorials and older imports."""

from ctanb.simulate import *  # noqa: F403 - the package's public names, nothing else
from ctanb.simulate import __all__ as __all__
