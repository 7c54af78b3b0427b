"""The archive's sky (/moc, /hips) follows the data rights and reads no file from a path."""

from __future__ import annotations

import io

import healpy as hp
import httpx
import numpy as np
import pytest
import pyvo
import requests
from astropy.coordinates import SkyCoord
from astropy.io import fits

from ctanb.services.sky import _X, _Y, ORDER_PIXELS, TILE_BITS, TILE_WIDTH

pytestmark = pytest.mark.slow

CTA_RUNS = ["110380", "111140", "111159", "111630"]  # proprietary (cta-consortium)
FIELDS = "SELECT obs_id, s_ra, s_dec, s_fov FROM ivoa.obscore"


def rows(tap_url, token=None):
    session = requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return pyvo.dal.TAPService(tap_url, session=session).run_sync(FIELDS).to_table()


def headers(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def moc_cells(archive_url, token=None) -> set[int]:
    """The order-9 cells of the caller's MOC (coarser cells expanded)."""
    response = httpx.get(f"{archive_url}/moc?format=json", headers=headers(token), timeout=60)
    assert response.status_code == 200, response.text
    cells: set[int] = set()
    for order, pixels in response.json().items():
        shift = 2 * (ORDER_PIXELS - int(order))
        for pixel in pixels:
            cells.update(range(pixel << shift, (pixel + 1) << shift))
    return cells


def tile(url, token=None) -> np.ndarray:
    response = httpx.get(url, headers=headers(token), timeout=60)
    assert response.status_code == 200, response.text
    return fits.getdata(io.BytesIO(response.content))


def covered(table, ra, dec) -> bool:
    """Whether a run of ``table`` has (ra, dec) in its field of view."""
    fields = SkyCoord(table["s_ra"], table["s_dec"], unit="deg")
    inside = fields.separation(SkyCoord(ra, dec, unit="deg")).deg < table["s_fov"] / 2 - 0.2
    return bool(np.any(inside))


def test_proprietary_fields_reach_members_only(archive_url, tap_url, tokens):
    member_rows = rows(tap_url, tokens["alice"])
    secret = member_rows[np.isin(member_rows["obs_id"].astype(str), CTA_RUNS)]
    assert len(secret) == len(CTA_RUNS)
    # alice first: a sky built for her must not be what an outsider gets next
    member = moc_cells(archive_url, tokens["alice"])
    for who in (None, tokens["bob"]):
        visible = rows(tap_url, who)
        outsider = moc_cells(archive_url, who)
        assert outsider < member
        for row in secret:
            cell = hp.ang2pix(2**ORDER_PIXELS, row["s_ra"], row["s_dec"], nest=True, lonlat=True)
            assert cell in member
            # the check can fail: only a public run over the same place would show it
            assert (cell in outsider) == covered(visible, row["s_ra"], row["s_dec"])
            # nor as exposure in a HiPS tile
            order, npix = 3, cell >> (2 * TILE_BITS)
            url = f"{archive_url}/hips/Norder{order}/Dir0/Npix{npix}.fits"
            mine = fits.getdata(
                io.BytesIO(httpx.get(url, headers=headers(tokens["alice"])).content)
            )
            theirs = fits.getdata(io.BytesIO(httpx.get(url, headers=headers(who)).content))
            assert mine.sum() > theirs.sum()


def test_the_allsky_and_properties_follow_the_caller(archive_url, tokens):
    url = f"{archive_url}/hips/Norder3/Allsky.fits"
    anonymous = fits.getdata(io.BytesIO(httpx.get(url, timeout=60).content))
    member = fits.getdata(
        io.BytesIO(httpx.get(url, headers=headers(tokens["alice"]), timeout=60).content)
    )
    assert anonymous.shape == member.shape == (29 * TILE_WIDTH, 27 * TILE_WIDTH)
    assert 0 < anonymous.sum() < member.sum()
    properties = httpx.get(f"{archive_url}/hips/properties").text
    assert "hips_tile_format = fits" in properties and "hips_order = 3" in properties


PROBES = [
    "/hips/../../etc/passwd",
    "/hips/..%2F..%2F..%2Fetc%2Fpasswd",
    "/hips/Norder3/Dir0/Npix0.fits/../../../../../etc/passwd",
    "/hips/Norder3/Dir0/Npix..%2F..%2Fetc%2Fpasswd.fits",
    "/hips/Norder%2e%2e/Dir0/Npix0.fits",
    "/hips/Norder-1/Dir0/Npix0.fits",
    "/hips/Norder99/Dir0/Npix0.fits",
    "/hips/Norder3/Dir0/Npix768.fits",
    "/hips/Norder3/Dir10000/Npix5.fits",
    "/hips/Norder3/Dir0/Npix1e3.fits",
    "/hips/Norder0/Dir0/Npix-1.fits",
    "/hips/Norder3/Allsky.png",
    "/hips/properties/../../../../etc/passwd",
    "/moc?format=../../etc/passwd",
]


@pytest.mark.parametrize("path", PROBES)
def test_no_path_reaches_a_file(archive_url, path):
    response = httpx.get(archive_url + path, timeout=30)
    assert response.status_code in (400, 404, 422), (path, response.status_code)
    assert b"root:" not in response.content


def test_tile_pixels_are_healpix_nested_sub_pixels():
    """A tile's (x, y) of each nested sub-pixel is healpy's, relative to the tile's corner."""
    order, npix = 3, 301
    nside = 2 ** (order + TILE_BITS)
    x, y, face = hp.pix2xyf(nside, npix * TILE_WIDTH**2 + np.arange(TILE_WIDTH**2), nest=True)
    assert len(set(face)) == 1
    np.testing.assert_array_equal(x - x.min(), _X)
    np.testing.assert_array_equal(y - y.min(), _Y)
