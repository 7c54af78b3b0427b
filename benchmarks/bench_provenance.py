"""Cost of building a product's provenance against the product's own build time.

Run: ``.venv/bin/python benchmarks/bench_provenance.py``. Prints the median times of
``make_count_map`` on the four H.E.S.S. DR1 Crab runs and of ``build_document`` (plus
PROV-JSON serialisation) for its record, and the ratio (goal: under 5 %).
"""

from __future__ import annotations

import statistics
import time

import astropy.units as u
from astropy.coordinates import SkyCoord

from ctanb.analysis import make_count_map
from ctanb.config import get_settings
from ctanb.prov import build_document, serialize

CRAB = [23523, 23526, 23559, 23592]


def _median(func, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    data = get_settings().data_dir / "hess-dl3-dr1" / "data"
    files = [data / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz" for o in CRAB]
    kwargs = dict(
        skydir=SkyCoord(83.633, 22.014, unit="deg"),
        width=5 * u.deg,
        binsz=0.02 * u.deg,
        energy_edges=[0.5, 1, 2, 5, 10, 100] * u.TeV,
    )
    product = make_count_map(files, **kwargs)
    t_product = _median(lambda: make_count_map(files, **kwargs))

    def provenance() -> None:
        doc = build_document(
            product.record,
            product_id=product.product_id,
            product_checksum=product.checksum(),
            product_kind=product.kind,
        )
        serialize(doc, "json")

    product.checksum()  # warm up

    t_prov = _median(provenance)
    print(f"count map (4 Crab runs, 250x250x5): {t_product * 1e3:8.2f} ms")
    print(f"provenance (build + PROV-JSON):      {t_prov * 1e3:8.2f} ms")
    print(f"ratio: {100 * t_prov / t_product:.1f} % (goal < 5 %)")


if __name__ == "__main__":
    main()
