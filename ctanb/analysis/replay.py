"""Replay: run a product's recorded analysis again, only if ctanb may and its inputs match.

A provenance document is data that anyone can write: a FITS file's PROVENANCE HDU can be
forged. So replay never imports a ``module:function`` named in a document. It looks the
recorded entry point up in :data:`REPLAYABLE`, an explicit table of ctanb's own analyses,
accepts only the keyword arguments each of them records, and checks the sha256 of every
input file against the document before anything runs. Any mismatch raises
:class:`ReplayRefusedError`, whose message says what to do.

Inputs recorded as archive data URLs (``<archive>/data/<collection>/<obs_id>``) are fetched
only from the archive the caller trusts (``archive=``, else ``CTANB_SERVICE_URL``): a forged
document cannot make replay send the caller's token to another host.

Replay runs analyses, so it lives here, above :mod:`ctanb.prov` (which only reads the
documents); ``ctanb.prov.replay`` is kept as an alias of :func:`replay`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctanb.analysis import countmap, lightcurve, significance, spectrum
from ctanb.analysis.cache import file_sha256
from ctanb.analysis.events import DATA_URL, RunFile, expand_inputs
from ctanb.config import get_settings
from ctanb.errors import CtanbError
from ctanb.prov.tools import (
    lineage,
    provenance_document,
    recorded_entry_point,
    recorded_parameters,
)

__all__ = [
    "REPLAYABLE",
    "ReplayRefusedError",
    "Replayable",
    "replay",
    "replayable",
    "verified_inputs",
]


class ReplayRefusedError(CtanbError):
    """A provenance document that replay will not run; the message says why and what to do."""


# What every analysis records about its event selection (GTIs, safe energy ranges).
_SELECTION = frozenset({"apply_gti", "bad_time_intervals", "safe_mask", "on_error"})
# What every map records about its geometry (count maps and significance maps).
_MAP = frozenset({"skydir", "frame", "width", "binsz", "proj"})


@dataclass(frozen=True)
class Replayable:
    """One analysis replay may run: its function and which keywords it records.

    Parameters
    ----------
    function : callable
        The analysis (imported from a fixed module, never named by the document).
    keywords : frozenset of str
        The keyword arguments the analysis records; a document with any other is refused
        (``archive`` or ``client`` from a document could send data or tokens elsewhere).
    """

    function: Callable[..., Any]
    keywords: frozenset[str]


#: Recorded entry point -> the analysis it names. Nothing outside this table is replayed.
REPLAYABLE: dict[str, Replayable] = {
    countmap.ENTRY_POINT: Replayable(
        countmap.make_count_map, _MAP | {"energy_edges", "healpix_nside"} | _SELECTION
    ),
    spectrum.ENTRY_POINT: Replayable(
        spectrum.extract_spectrum,
        frozenset({"on_region", "energy_edges", "exclusion"}) | _SELECTION,
    ),
    lightcurve.ENTRY_POINT: Replayable(
        lightcurve.make_light_curve,
        frozenset({"on_region", "energy_range", "time_bins", "exclusion"}) | _SELECTION,
    ),
    significance.ENTRY_POINT: Replayable(
        significance.make_significance_map,
        _MAP
        | {"energy_range", "r_in", "ring_width", "correlation_radius", "offset_max", "exclusion"}
        | _SELECTION,
    ),
}


def replayable(entry_point: str, parameters: dict[str, Any]) -> Callable[..., Any]:
    """Return the registered function of ``entry_point`` after checking its parameters.

    Raises
    ------
    ReplayRefusedError
        For an entry point that is not one of ctanb's replayable analyses, or a keyword
        argument that analysis does not record.
    """
    entry = REPLAYABLE.get(entry_point)
    if entry is None:
        raise ReplayRefusedError(
            f"replay refused: the provenance names the entry point {entry_point!r}, which is "
            "not one of ctanb's replayable analyses ("
            + ", ".join(sorted(REPLAYABLE))
            + "). The document was not written by ctanb or was altered: do not trust this "
            "file; make the product again from its inputs."
        )
    unknown = sorted(set(parameters) - entry.keywords)
    if unknown:
        raise ReplayRefusedError(
            f"replay refused: the provenance gives {entry_point} parameters it never records "
            f"({', '.join(unknown)}). The document was altered: do not trust this file."
        )
    return entry.function


def _trusted_archive(archive: str | None) -> str | None:
    if archive:
        return archive.rstrip("/")
    url = get_settings().service_url
    return str(url).rstrip("/") if url else None


def verified_inputs(files: list[dict[str, str]], archive: str | None = None) -> list[Any]:
    """Return the recorded event lists as run files, each checked against its sha256.

    Parameters
    ----------
    files : list of dict
        :attr:`ctanb.prov.Lineage.event_lists` of the document (path, checksum, ...).
    archive : str, optional
        The archive data URLs may come from (default ``CTANB_SERVICE_URL``).

    Raises
    ------
    ReplayRefusedError
        For a missing file, a file whose bytes differ from the recorded sha256, a checksum
        that is not a sha256, or a data URL of another archive.
    """
    if not files:
        raise ReplayRefusedError("replay refused: the provenance records no input event list")
    trusted = _trusted_archive(archive)
    runs = []
    for item in files:
        recorded, where = item.get("checksum", ""), item["path"]
        if not recorded.startswith("sha256:"):
            raise ReplayRefusedError(
                f"replay refused: input {where} has no recorded sha256 ({recorded!r}), so "
                "replay cannot check that it is the file the product was made from"
            )
        if where.startswith(("http://", "https://")):
            match = DATA_URL.fullmatch(where)
            if match is None or trusted is None or match["archive"].rstrip("/") != trusted:
                raise ReplayRefusedError(
                    f"replay refused: input {where} is not a data URL of the trusted archive "
                    f"({trusted or 'none configured'}); pass archive=URL (or set "
                    "CTANB_SERVICE_URL) if you trust it"
                )
            try:
                (run,) = expand_inputs([where], archive=trusted)
            except CtanbError as exc:
                raise ReplayRefusedError(f"replay refused: input {where}: {exc}") from exc
        else:
            run = RunFile(
                Path(where),
                int(item["obs_id"]) if item.get("obs_id") not in (None, "None") else None,
                item.get("collection") if item.get("collection") not in (None, "None") else None,
            )
        if not run.path.is_file():
            raise ReplayRefusedError(
                f"replay refused: input {where} is missing: put the recorded file back "
                "(lineage(product).event_lists lists them) and replay again"
            )
        actual = file_sha256(run.path)  # afresh: not the cache's size/mtime memo
        if actual != recorded:
            raise ReplayRefusedError(
                f"replay refused: input {where} has changed since the product was made "
                f"(recorded {recorded}, now {actual}): restore the original file, or make "
                "a new product from the current one"
            )
        runs.append(run)
    return runs


def replay(product_or_doc: Any, *, archive: str | None = None) -> Any:
    """Run the recorded activity again on the recorded inputs with the recorded parameters.

    Only ctanb's own analyses are replayed (:data:`REPLAYABLE`); the document's
    ``module:function`` is looked up there, never imported. Every input's sha256 is
    checked against the document before the analysis runs, and the replayed product must
    record the same inputs.

    Parameters
    ----------
    product_or_doc : product or ProvDocument
        A ctanb product (count map, spectrum, light curve, significance map) or its
        provenance document.
    archive : str, optional
        The archive that inputs recorded as data URLs may be fetched from (default
        ``CTANB_SERVICE_URL``).

    Returns
    -------
    product
        The product made again.

    Raises
    ------
    ReplayRefusedError
        For an entry point that is not a replayable ctanb analysis, unknown parameters, or
        an input that is missing or whose sha256 differs from the recorded one.
    """
    doc = provenance_document(product_or_doc)
    parameters = recorded_parameters(doc)
    func = replayable(recorded_entry_point(doc), parameters)
    recorded = lineage(doc).event_lists
    inputs = verified_inputs(recorded, archive)
    product = func(inputs, **parameters)
    again = [f["checksum"] for f in lineage(product).event_lists]
    if again != [f["checksum"] for f in recorded]:  # a file changed while it was read
        raise ReplayRefusedError(
            "replay refused: the inputs changed while the analysis read them; replay again"
        )
    return product
