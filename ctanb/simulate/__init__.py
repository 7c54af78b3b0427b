"""``ctanb simulate``: synthetic GADF DL3 runs drawn from the CTA 1DC instrument response.

The sampler is vectorised NumPy (no Python loop over events): per run, one Poisson draw per
IRF bin and a few array operations per event. The output folder is a GADF data store that
gammapy's ``DataStore.from_dir`` reads, with one copy of the IRF file for all runs.

The parts: :mod:`~ctanb.simulate.irf` reads the IRF file, :mod:`~ctanb.simulate.sampling`
draws events (with :mod:`~ctanb.simulate.numerics`), :mod:`~ctanb.simulate.gadf` writes
event files and index tables, :mod:`~ctanb.simulate.runs` drives one call, and
:mod:`~ctanb.simulate.cli` is the command line.
"""

from ctanb.simulate.cli import add_arguments, run
from ctanb.simulate.irf import default_irf_file
from ctanb.simulate.runs import simulate_runs
from ctanb.simulate.sampling import PointSource

__all__ = [
    "PointSource",
    "add_arguments",
    "default_irf_file",
    "run",
    "simulate_runs",
]
