"""The sky view of search results: footprints on Aladin Lite, linked to the selection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import traitlets
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table

from ctanb.analysis.plots import catalogue_sources
from ctanb.errors import DataError
from ctanb.search.resolve import resolve
from ctanb.widgets.aladin import OfflineAladin

__all__ = ["SkyView", "footprints_of", "parse_s_region"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CIRCLE = re.compile(
    rf"^\s*CIRCLE\s+(?:(?:ICRS|FK5|J2000|UNKNOWNFRAME)\s+)?(?:\w+\s+)??({_NUMBER})\s+({_NUMBER})"
    rf"\s+({_NUMBER})\s*$",
    re.IGNORECASE,
)


def parse_s_region(s_region: str) -> tuple[float, float, float]:
    """Return (ra, dec, radius) in degrees of an STC-S ``CIRCLE [ICRS] ra dec r`` string.

    Raises
    ------
    DataError
        For another shape (only circles are written by the ctanb archive).
    """
    match = _CIRCLE.match(str(s_region))
    if not match:
        raise DataError(f"unsupported s_region {s_region!r}: expected 'CIRCLE ICRS ra dec r'")
    ra, dec, radius = (float(v) for v in match.groups())
    return ra, dec, radius


def footprints_of(table: Table) -> list[list[float]]:
    """Footprints ``[ra, dec, radius]`` (deg) of the rows of an ObsCore result.

    ``s_region`` is used when present, else ``s_ra``, ``s_dec`` and half of ``s_fov``.
    Rows without a position get ``[nan...]`` replaced by an empty footprint (radius 0).
    """
    out: list[list[float]] = []
    names = table.colnames
    for row in table:
        value = row["s_region"] if "s_region" in names else None
        if value is not None and not np.ma.is_masked(value) and str(value).strip():
            out.append(list(parse_s_region(value)))
            continue
        if "s_ra" in names and "s_dec" in names and not np.ma.is_masked(row["s_ra"]):
            fov = row["s_fov"] if "s_fov" in names and not np.ma.is_masked(row["s_fov"]) else 0.0
            out.append([float(row["s_ra"]), float(row["s_dec"]), float(fov) / 2])
        else:
            out.append([0.0, 0.0, 0.0])
    return out


class SkyView(OfflineAladin):
    """Aladin Lite view of a result table: one circle per row, selected rows highlighted.

    Parameters
    ----------
    table : astropy.table.Table, optional
        ObsCore rows to show (``s_region`` or ``s_ra``/``s_dec``/``s_fov``).
    **options
        Passed to :class:`ipyaladin.Aladin` (``target``, ``fov``, ``height``, ``survey``...).

    Attributes
    ----------
    selected_rows : list of int
        Indices of the selected rows; link it to
        :attr:`ctanb.widgets.table.ResultsTable.selected_rows` (the :class:`Explorer` does).
        Clicking a footprint toggles its row.
    """

    _footprints = traitlets.List().tag(sync=True)
    _selected_rows = traitlets.List(traitlets.Int()).tag(sync=True)
    selected_rows = traitlets.List(traitlets.Int())

    def __init__(self, table: Table | None = None, **options: Any) -> None:
        options.setdefault("height", 400)
        options.setdefault("fov", 10.0)
        super().__init__(**options)
        traitlets.link((self, "selected_rows"), (self, "_selected_rows"))
        self.on_msg(self._on_ctanb_message)
        self.table: Table | None = None
        if table is not None:
            self.show_table(table)

    def show_table(self, table: Table, recentre: bool = True) -> None:
        """Show the footprints of ``table`` (clears the selection)."""
        footprints = footprints_of(table)
        self.table = table
        self.selected_rows = []
        self._footprints = footprints
        if recentre and footprints:
            arr = np.array([f for f in footprints if f[2] > 0] or footprints, dtype=float)
            centre = SkyCoord(arr[:, 0], arr[:, 1], unit="deg")
            mean = SkyCoord(
                centre.cartesian.mean(), representation_type="cartesian", frame="icrs"
            ).spherical
            self.target = SkyCoord(mean.lon, mean.lat, frame="icrs")
            spread = centre.separation(SkyCoord(mean.lon, mean.lat)).deg.max()
            self.fov = float(np.clip(2 * (spread + arr[:, 2].max()) * 1.2, 1.0, 180.0))

    def goto(self, target: str | SkyCoord | tuple[float, float], fov: float | None = None) -> None:
        """Centre the view on a position or a name (resolved with :mod:`ctanb.search`)."""
        if isinstance(target, str):
            target = resolve(target).coord
        elif isinstance(target, (tuple, list)):
            target = SkyCoord(float(target[0]), float(target[1]), unit="deg", frame="icrs")
        self.target = target
        if fov is not None:
            self.fov = fov

    def add_count_map(self, counts: Any, name: str = "counts", **options: Any) -> None:
        """Overlay a count map: a gammapy ``Map``, an ``HDUList`` or a FITS file path.

        Cubes are summed over their non-spatial axes first.
        """
        hdulist = _as_image_hdulist(counts)
        options.setdefault("colormap", "magma")
        options.setdefault("stretch", "asinh")
        self.add_fits(hdulist, name=name, **options)

    def show_archive_sky(self, archive: str, sources: Table | None = None) -> None:
        """Show the archive's observed sky (MOC) and the known VHE sources as layers.

        The exposure HiPS is the base survey when the view was made with
        ``survey=archive + "/hips"`` (the Explorer does); here its colour map is set, the
        MOC of the observed sky is drawn on top, and gamma-cat/HGPS sources (``name``,
        ``ra``, ``dec``) become a catalogue layer with their names.
        """
        base = archive.rstrip("/")
        if self.survey.startswith(base):
            self.set_color_map("magma")
        self.add_moc(
            f"{base}/moc", name="observed sky (MOC)", color="#3fd0ff", opacity=0.15,
            line_width=1, fill=True, edge=True,
        )  # fmt: skip
        if sources is None:
            sources = catalogue_sources(SkyCoord(0, 0, unit="deg"), 180 * u.deg)
        if len(sources):
            self.add_table(
                sources, name="VHE sources (gamma-cat, HGPS)", shape="circle",
                color="#00e5ff", source_size=12, display_label=True, label_column="name",
                label_color="#00e5ff", ra_field="ra", dec_field="dec",
            )  # fmt: skip

    def _on_ctanb_message(self, _: Any, message: dict, buffers: Any) -> None:
        if message.get("event_type") != "ctanb_footprint_clicked":
            return
        row = int(message["row"])
        rows = list(self.selected_rows)
        self.selected_rows = [r for r in rows if r != row] if row in rows else sorted([*rows, row])


def _as_image_hdulist(counts: Any) -> fits.HDUList:
    if isinstance(counts, (str, Path)):
        counts = fits.open(counts)
    if isinstance(counts, fits.HDUList):
        return counts
    if hasattr(counts, "geom") and hasattr(counts, "to_hdulist"):
        image = counts.sum_over_axes(keepdims=False) if counts.geom.axes else counts
        header = image.geom.wcs.to_header()
        return fits.HDUList([fits.PrimaryHDU(np.asarray(image.data, dtype=np.float32), header)])
    if isinstance(counts, (fits.PrimaryHDU, fits.ImageHDU)):
        return fits.HDUList([fits.PrimaryHDU(counts.data, counts.header)])
    raise DataError(
        f"cannot show {type(counts).__name__} as a count map: pass a gammapy Map, an HDUList "
        "or a FITS file"
    )
