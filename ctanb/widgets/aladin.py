"""Aladin Lite without a CDN: local assets and an ipyaladin widget that loads them.

ipyaladin 0.8.1 imports Aladin Lite from ``https://esm.sh`` at run time and starts on a
CDS sky survey; neither is reachable offline. :func:`install_assets` copies Aladin Lite
(npm ``aladin-lite@3.9.2-beta``, ``dist/aladin.js``), a copy of ipyaladin's ``widget.js``
whose import points at it, and a small local HiPS background into a folder that the
Jupyter server serves as static files (``<prefix>/share/jupyter/labextensions/ctanb-aladin/
static/``, URL ``<base_url>lab/extensions/ctanb-aladin/static/``). :class:`OfflineAladin`
is :class:`ipyaladin.Aladin` with a loader that imports those files.

Run ``ctanb-install-aladin`` (or ``python -m ctanb.widgets.aladin``) once after installing
ctanb; it is idempotent.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import ipyaladin
import numpy as np
import traitlets
from astropy.io import fits
from ipyaladin.utils.call_store import CallStore
from PIL import Image

from ctanb.config import repo_root
from ctanb.errors import ConfigurationError

__all__ = [
    "ASSET_NAME",
    "AUTO_SURVEY",
    "LOCAL_SURVEY",
    "OfflineAladin",
    "asset_dir",
    "assets_installed",
    "find_aladin_js",
    "install_assets",
    "main",
]

#: Name of the static folder (and of the URL path) that holds the assets.
ASSET_NAME = "ctanb-aladin"
#: Survey name that the browser side replaces with the local HiPS background.
LOCAL_SURVEY = "ctanb-local"
#: Survey name for "CDS DSS colour when the browser reaches it, else the local background".
AUTO_SURVEY = "ctanb-auto"
#: Version of Aladin Lite that ipyaladin 0.8.1 was written for.
ALADIN_VERSION = "3.9.2-beta"
_CDN_IMPORT = f'"https://esm.sh/aladin-lite@{ALADIN_VERSION}"'


def asset_dir(prefix: str | Path | None = None) -> Path:
    """Folder served by Jupyter at ``<base_url>lab/extensions/ctanb-aladin/static/``.

    Parameters
    ----------
    prefix : path, optional
        Installation prefix; default ``sys.prefix`` (the environment running ctanb).
    """
    root = Path(prefix) if prefix is not None else Path(sys.prefix)
    return root / "share" / "jupyter" / "labextensions" / ASSET_NAME / "static"


def find_aladin_js(path: str | Path | None = None) -> Path:
    """Locate Aladin Lite's ``dist/aladin.js``.

    Looked for, in order: ``path``, ``$CTANB_ALADIN_JS``, ``node_modules/aladin-lite`` in the
    source checkout and in the current folder.

    Raises
    ------
    ConfigurationError
        When no copy is found (the message says how to install one).
    """
    candidates = [Path(path)] if path else []
    if os.environ.get("CTANB_ALADIN_JS"):
        candidates.append(Path(os.environ["CTANB_ALADIN_JS"]))
    for root in (repo_root(), Path.cwd()):
        candidates.append(root / "node_modules" / "aladin-lite" / "dist" / "aladin.js")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigurationError(
        "Aladin Lite not found: run `npm install` in the ctanb checkout (package.json lists "
        f"aladin-lite@{ALADIN_VERSION}), or `npm install aladin-lite@{ALADIN_VERSION}` and set "
        "CTANB_ALADIN_JS to its dist/aladin.js. Looked in: " + ", ".join(str(c) for c in candidates)
    )


def _patched_widget_js() -> str:
    source = (Path(ipyaladin.__file__).parent / "static" / "widget.js").read_text()
    if _CDN_IMPORT not in source:
        raise ConfigurationError(
            f"ipyaladin {ipyaladin.__version__} does not import {_CDN_IMPORT}: ctanb's offline "
            "loader supports ipyaladin 0.8.1 (pip install ipyaladin==0.8.1)"
        )
    return source.replace(_CDN_IMPORT, '"./aladin.js"')


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


#: HEALPix order and tile width of the local background (order 3: 768 tiles of 7.3 deg).
_HIPS_ORDER = 3
_HIPS_TILE = 64
_HIPS_RGB = (16, 20, 34)


def _write_background_hips(folder: Path) -> int:
    """Write a uniform dark all-sky HiPS (tiles and Allsky) so Aladin Lite needs no network."""
    n_tiles = 12 * 4**_HIPS_ORDER
    properties = "\n".join(
        [
            "creator_did = ivo://ctanb/P/background",
            "obs_title = ctanb offline background",
            "obs_description = Uniform background for Aladin Lite when no sky survey is reachable",
            "dataproduct_type = image",
            "hips_version = 1.4",
            "hips_release_date = 2026-01-01T00:00Z",
            "hips_status = public master clonableOnce",
            "hips_frame = equatorial",
            f"hips_order = {_HIPS_ORDER}",
            "hips_order_min = 0",
            f"hips_tile_width = {_HIPS_TILE}",
            "hips_tile_format = png",
            "hips_initial_fov = 180",
            "hips_initial_ra = 0",
            "hips_initial_dec = 0",
            "",
        ]
    )
    changed = int(_write_if_changed(folder / "properties", properties.encode()))
    tile = _png(_HIPS_TILE, _HIPS_TILE, _HIPS_RGB)
    for order in range(_HIPS_ORDER + 1):
        for npix in range(12 * 4**order):
            path = folder / f"Norder{order}" / f"Dir{npix // 10000 * 10000}" / f"Npix{npix}.png"
            changed += _write_if_changed(path, tile)
    columns = 27
    rows = -(-n_tiles // columns)
    allsky = _png(columns * _HIPS_TILE, rows * _HIPS_TILE, _HIPS_RGB)
    changed += _write_if_changed(folder / f"Norder{_HIPS_ORDER}" / "Allsky.png", allsky)
    changed += _write_if_changed(folder / "Moc.fits", _all_sky_moc())
    return changed


def _all_sky_moc() -> bytes:
    """Return an IVOA MOC 1.1 FITS file covering the whole sky (the 12 order-0 cells)."""
    uniq = fits.Column(name="UNIQ", format="K", array=np.arange(4, 16, dtype=np.int64))
    hdu = fits.BinTableHDU.from_columns([uniq])
    for key, value in (
        ("PIXTYPE", "HEALPIX"),
        ("ORDERING", "NUNIQ"),
        ("COORDSYS", "C"),
        ("MOCORDER", 0),
        ("MOCVERS", "1.1"),
        ("MOCDIM", "SPACE"),
        ("MOCTOOL", "ctanb"),
    ):
        hdu.header[key] = value
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buffer)
    return buffer.getvalue()


def install_assets(prefix: str | Path | None = None, aladin_js: str | Path | None = None) -> Path:
    """Install Aladin Lite, the patched ipyaladin front end and a local HiPS (idempotent).

    Parameters
    ----------
    prefix : path, optional
        Installation prefix whose ``share/jupyter/labextensions`` Jupyter serves; default
        ``sys.prefix``.
    aladin_js : path, optional
        Aladin Lite's ``dist/aladin.js``; found with :func:`find_aladin_js` when omitted.

    Returns
    -------
    Path
        The folder that now holds the assets.
    """
    target = asset_dir(prefix)
    source = find_aladin_js(aladin_js)
    _write_if_changed(target / "aladin.js", source.read_bytes())
    _write_if_changed(target / "widget.js", _patched_widget_js().encode())
    _write_background_hips(target / "hips")
    return target


def assets_installed(prefix: str | Path | None = None) -> bool:
    """Whether :func:`install_assets` has been run for ``prefix`` (and is up to date)."""
    target = asset_dir(prefix)
    widget = target / "widget.js"
    if not (target / "aladin.js").is_file() or not widget.is_file():
        return False
    if not (target / "hips" / "properties").is_file():
        return False
    expected = hashlib.sha256(_patched_widget_js().encode()).digest()
    return hashlib.sha256(widget.read_bytes()).digest() == expected


def uninstall_assets(prefix: str | Path | None = None) -> None:
    """Remove the installed assets."""
    shutil.rmtree(asset_dir(prefix).parent, ignore_errors=True)


class _CallQueue(CallStore):
    """ipyaladin's call store, emptied once run (ipyaladin 0.8.1 replays it on every load)."""

    def run_all(self) -> None:
        calls: list[Any] = list(getattr(self, "calls", []))
        self.calls: list[Any] = []
        for func, args, kwargs in calls:
            func(*args, **kwargs)


_LOADER = (Path(__file__).parent / "static" / "aladin_loader.js").read_text()


class OfflineAladin(ipyaladin.Aladin):
    """:class:`ipyaladin.Aladin` that loads Aladin Lite from the Jupyter server.

    Run :func:`install_assets` once first. Without ``survey=`` the view starts on a local
    uniform background (no request leaves the Jupyter server); ``survey="ctanb-auto"`` uses
    CDS's DSS colour survey when the browser reaches it within 1.5 s (else the local one);
    or pass any HiPS URL.

    Unlike ipyaladin 0.8.1, queued calls and listeners belong to each widget, not to the class.
    """

    _esm = _LOADER
    survey = traitlets.Unicode(
        LOCAL_SURVEY, help="Base HiPS; 'ctanb-local' is the local background."
    ).tag(sync=True, init_option=True)

    def __init__(self, **options: object) -> None:
        options.setdefault("survey", LOCAL_SURVEY)
        options.setdefault("log", False)
        options.setdefault("show_simbad_pointer_control", False)
        # ipyaladin keeps these on the class: one widget's queue would replay on every widget.
        self._call_store = _CallQueue()
        self.listener_callback: dict[str, Any] = {}
        super().__init__(**options)


def main(argv: list[str] | None = None) -> int:
    """``ctanb-install-aladin``: install the Aladin Lite assets for Jupyter."""
    parser = argparse.ArgumentParser(prog="ctanb-install-aladin", description=main.__doc__)
    parser.add_argument("--prefix", help="installation prefix (default: this environment)")
    parser.add_argument("--aladin-js", help="path of aladin-lite's dist/aladin.js")
    args = parser.parse_args(argv)
    try:
        target = install_assets(args.prefix, args.aladin_js)
    except ConfigurationError as exc:
        print(f"ctanb-install-aladin: error: {exc}", file=sys.stderr)
        return 1
    print(f"Aladin Lite assets installed in {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
