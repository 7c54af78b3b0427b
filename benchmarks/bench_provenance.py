"""Cost of provenance against the product's own build time, on the H.E.S.S. Crab runs.

python benchmarks/bench_provenance.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

from ctanb.analysis import extract_spectrum, make_count_map
from ctanb.config import get_settings
from ctanb.prov import build_document, serialize

CRAB = [23523, 23526, 23559, 23592]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = get_settings().data_dir / "hess-dl3-dr1" / "data"
    files = [data / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz" for o in CRAB]
    centre = SkyCoord(83.633, 22.014, unit="deg")
    makers = {
        "count cube 500x500x20": lambda: make_count_map(
            files, skydir=centre, width=10 * u.deg, energy_edges=np.geomspace(0.1, 100, 21) * u.TeV
        ),
        "ON/OFF spectrum": lambda: extract_spectrum(
            files, on_region=CircleSkyRegion(centre, 0.11 * u.deg)
        ),
    }
    for name, make in makers.items():
        make()  # warm the event cache
        build, checksum, document, json = [], [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            product = make()
            t1 = time.perf_counter()
            digest = product.checksum()
            t2 = time.perf_counter()
            doc = build_document(
                product.record,
                product_id=product.product_id,
                product_checksum=digest,
                product_kind=product.kind,
            )
            t3 = time.perf_counter()
            serialize(doc, "json")
            t4 = time.perf_counter()
            build.append(t1 - t0)
            checksum.append(t2 - t1)
            document.append(t3 - t2)
            json.append(t4 - t3)
        b, c, d, j = (statistics.median(t) for t in (build, checksum, document, json))
        p = c + d + j
        print(
            f"{name}: product {1e3 * b:.1f} ms; provenance {1e3 * p:.1f} ms = "
            f"{100 * p / b:.1f}% (goal < 5%) [product checksum {1e3 * c:.1f} ms, "
            f"build_document {1e3 * d:.1f} ms = {100 * d / b:.1f}%, PROV-JSON {1e3 * j:.1f} ms]"
        )


if __name__ == "__main__":
    main()
