"""Hand-over to gammapy: the observations (events and IRFs) behind a product's inputs.

ctanb bins counts itself; exposure, background models, PSF and energy dispersion come from
gammapy's makers with the runs' IRFs, never re-written here. This module finds each input
run's IRFs: through the GADF index (``hdu-index.fits[.gz]``) of the folder holding the file,
or inside the event file itself (as in the H.E.S.S. DR1 files and the archive's downloads).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from astropy.time import Time
from gammapy.data import DataStore, Observation, Observations
from gammapy.datasets import Datasets, SpectrumDataset
from gammapy.makers import ReflectedRegionsBackgroundMaker, SafeMaskMaker, SpectrumDatasetMaker
from gammapy.maps import MapAxis, RegionGeom

from ctanb.analysis.events import expand_inputs
from ctanb.errors import DataError
from ctanb.prov.record import ActivityRecord, InputFile

__all__ = [
    "IRF_TYPES",
    "in_good_time",
    "load_observations",
    "on_off_datasets",
    "recorded_on_off_datasets",
]

IRF_TYPES = ("aeff", "edisp", "psf", "bkg")


def _index_folder(path: Path) -> Path | None:
    """The folder of the GADF index that lists ``path`` (its own folder or a parent)."""
    for folder in (path.parent, path.parent.parent, path.parent.parent.parent):
        if any(folder.glob("hdu-index.fits*")):
            return folder
    return None


def load_observations(
    inputs: Iterable[InputFile | str | Path],
    required: Iterable[str] = (),
    apply_gti: bool = False,
) -> Observations:
    """Return gammapy ``Observations`` of the input runs, with their IRFs.

    Parameters
    ----------
    inputs : InputFile, str or Path
        The runs, as a product's ``record.inputs`` lists them, or event-list paths.
    required : iterable of str
        IRFs that must be present (``aeff``, ``edisp``, ``psf``, ``bkg``).
    apply_gti : bool
        Restrict each run to its good time intervals (gammapy's ``select_time``, one
        observation per interval), as ctanb's analyses count events.

    Raises
    ------
    DataError
        Naming the run whose events or IRFs cannot be found, and what to do.
    """
    observations = []
    stores: dict[Path, Any] = {}
    for item in inputs:
        given = str(item.path if isinstance(item, InputFile) else item)
        obs_id = item.obs_id if isinstance(item, InputFile) else None
        # an archive run (its data URL, as provenance records it): the cached download
        path = expand_inputs([given])[0].path if given.startswith("http") else Path(given)
        folder = _index_folder(path)
        observation = None
        if folder is not None and obs_id is not None:
            if folder not in stores:
                stores[folder] = DataStore.from_dir(folder)
            store = stores[folder]
            if int(obs_id) in set(store.obs_table["OBS_ID"]):
                observation = store.obs(int(obs_id))
        if observation is None:
            try:
                observation = Observation.read(path)
            except (OSError, KeyError, ValueError) as exc:
                raise DataError(f"{path}: gammapy cannot read the run: {exc}") from exc
        missing = [irf for irf in required if getattr(observation, irf, None) is None]
        if missing:
            raise DataError(
                f"{path}: obs_id {observation.obs_id} has no {', '.join(missing)} IRF: "
                "give the run's GADF folder (with hdu-index.fits.gz) or a file that holds them"
            )
        if apply_gti:
            observations.extend(in_good_time(observation))
        else:
            observations.append(observation)
    return Observations(observations)


def in_good_time(observation: Any, bad_time_intervals: Any = None) -> list[Any]:
    """The observation restricted to its GTIs minus bad intervals: one part per segment.

    Each part is gammapy's own ``Observation.select_time`` of one good segment.
    """
    gti = observation.gti
    segments = list(zip(gti.time_start, gti.time_stop, strict=True))
    for bad_start, bad_stop in [] if bad_time_intervals is None else bad_time_intervals:
        kept = []
        for start, stop in segments:
            if bad_stop <= start or bad_start >= stop:
                kept.append((start, stop))
                continue
            if start < bad_start:
                kept.append((start, bad_start))
            if bad_stop < stop:
                kept.append((bad_stop, stop))
        segments = kept
    return [observation.select_time(Time([start, stop])) for start, stop in segments]


def on_off_datasets(
    inputs: Iterable[InputFile | str | Path],
    on_region: Any,
    energy_edges: Any,
    safe_mask: Iterable[str] = ("aeff-default",),
    exclusion_mask: Any = None,
    apply_gti: bool = True,
    bad_time_intervals: Any = None,
) -> Datasets:
    """One gammapy ``SpectrumDatasetOnOff`` per run, made by gammapy's makers.

    ``SpectrumDatasetMaker`` (counts, exposure, energy dispersion) and
    ``ReflectedRegionsBackgroundMaker`` (OFF counts and alpha), on the ON region and
    reconstructed-energy edges given; true energies 0.05 to 150 TeV, 60 bins. Each dataset
    keeps its run's GTI, so gammapy's ``LightCurveEstimator`` can group them in time.
    ``safe_mask`` are the methods of gammapy's ``SafeMaskMaker`` (default the energy
    threshold the IRF declares, as its producers recommend; empty for no mask).
    ``exclusion_mask`` keeps OFF regions off known sources; with ``apply_gti`` each run
    is restricted to its GTIs (and outside ``bad_time_intervals``), as ctanb counts.
    """
    axis = MapAxis.from_edges(energy_edges, name="energy", interp="log")
    true_axis = MapAxis.from_energy_bounds(0.05, 150, 60, unit="TeV", name="energy_true")
    empty = SpectrumDataset.create(
        geom=RegionGeom.create(region=on_region, axes=[axis]), energy_axis_true=true_axis
    )
    maker = SpectrumDatasetMaker(selection=["counts", "exposure", "edisp"])
    background = ReflectedRegionsBackgroundMaker(exclusion_mask=exclusion_mask)
    methods = list(safe_mask)
    masker = SafeMaskMaker(methods=methods) if methods else None
    datasets = Datasets()
    observations = load_observations(inputs, required=("aeff", "edisp"))
    if apply_gti:
        observations = [o for obs in observations for o in in_good_time(obs, bad_time_intervals)]
    for observation in observations:
        dataset = maker.run(empty.copy(name=str(observation.obs_id)), observation)
        dataset = background.run(dataset, observation)
        datasets.append(masker.run(dataset, observation) if masker else dataset)
    return datasets


def recorded_on_off_datasets(
    record: ActivityRecord, on_region: Any, energy_edges: Any, exclusion_mask: Any = None
) -> Datasets:
    """:func:`on_off_datasets` of a product's runs, with the good time it recorded.

    The runs are ``record.inputs``; ``apply_gti`` and ``bad_time_intervals`` are the
    product's recorded parameters, so gammapy counts the events the product counted.
    """
    parameters = record.parameters
    return on_off_datasets(
        record.inputs,
        on_region,
        energy_edges,
        exclusion_mask=exclusion_mask,
        apply_gti=parameters.get("apply_gti", True),
        bad_time_intervals=parameters.get("bad_time_intervals"),
    )
