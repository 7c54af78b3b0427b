"""Alias of :mod:`ctanb.simulate`, kept for the tutorials and older imports."""

from ctanb.simulate import PointSource, add_arguments, default_irf_file, run, simulate_runs

__all__ = [
    "PointSource",
    "add_arguments",
    "default_irf_file",
    "run",
    "simulate_runs",
]
