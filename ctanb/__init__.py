"""ctanb: find, analyse and share very-high-energy gamma-ray data from notebooks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ctanb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
