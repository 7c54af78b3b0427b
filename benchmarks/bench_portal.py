"""Counterparts, publishing and ProvTAP: medians against a reference measured in the same run.

Starts a private store with H.E.S.S. DL3 DR1 and one ``ctanb serve``, then times:

- ``counterparts()`` over six catalogues: cold (catalogues read) and warm, against gammapy
  reading one catalogue (3FHL) and computing its separations;
- publishing the Crab spectrum (``POST /products``: upload, checks, ObsCore row, ProvTAP
  rows) and withdrawing it, against a TAP sync query of the same service;
- the ProvTAP query "every product derived from run 23523" and the lineage graph, with
  ``--products`` products published, against an ObsCore cone search (both through TAP).

    python benchmarks/bench_portal.py [--products 50] [--repeats 15]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
import uuid

import astropy.units as u
import httpx
import numpy as np
from astropy.coordinates import SkyCoord

from ctanb.analysis import extract_spectrum
from ctanb.config import get_settings
from ctanb.search import ArchiveClient, counterparts
from ctanb.search.publish import withdraw
from ctanb.services.auth import create_token
from ctanb.services.ingest import ingest
from ctanb.testing import ServiceProcess, private_store

DERIVED = (
    "SELECT DISTINCT product.obs_publisher_did FROM provenance.entity AS run "
    "JOIN provenance.used AS us ON us.entity_id = run.id "
    "JOIN provenance.wasgeneratedby AS gen ON gen.activity_id = us.activity_id "
    "JOIN provenance.entity AS product ON product.id = gen.entity_id "
    "WHERE run.obs_id = '23523'"
)
CONE = (
    "SELECT obs_id FROM ivoa.obscore WHERE 1 = INTERSECTS(s_region, "
    "CIRCLE('ICRS', 83.633, 22.0145, 1))"
)


def timed(function, repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    values = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        values.append(time.perf_counter() - start)
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    data_dir = get_settings().data_dir
    catalogs = data_dir / "catalogs"
    crab = SkyCoord(83.633 * u.deg, 22.0145 * u.deg)

    start = time.perf_counter()
    counterparts(crab, 0.5 * u.deg, catalogs_dir=catalogs)
    cold = time.perf_counter() - start
    rng = np.random.default_rng(1)
    fields = SkyCoord(rng.uniform(0, 360, 50) * u.deg, rng.uniform(-60, 60, 50) * u.deg)
    warm = timed(
        lambda: counterparts(fields[rng.integers(50)], 1 * u.deg, catalogs_dir=catalogs), 50
    )

    def gammapy_one() -> None:
        from gammapy.catalog import SourceCatalog3FHL

        catalogue = SourceCatalog3FHL(filename=str(catalogs / "fermi" / "gll_psch_v13.fit.gz"))
        catalogue.positions.separation(crab)

    reference = timed(gammapy_one, 5)
    print(f"counterparts (6 catalogues): cold {cold:.2f} s, warm median {warm * 1e3:.1f} ms")
    print(
        f"  gammapy reading 3FHL and separating: {reference * 1e3:.1f} ms (ratio warm/ref "
        f"{warm / reference:.2f})"
    )

    with private_store("ctanb-bench-portal-") as (settings, store):
        service = None
        try:
            ingest([data_dir / "hess-dl3-dr1"], store, catalogs_dir=settings.catalogs_dir)
            token = create_token(store, "bench", ["bench-team"])
            service = ServiceProcess(settings).start()
            client = ArchiveClient(service.url, token=token)
            files = [
                data_dir / "hess-dl3-dr1" / "data" / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz"
                for o in (23523, 23526, 23559, 23592)
            ]
            spectrum = extract_spectrum(files)

            def fresh():  # a new product id each time: a product is published once
                return dataclasses.replace(spectrum, product_id=uuid.uuid4().hex)

            published = []
            publish_times, withdraw_times = [], []
            for _ in range(args.repeats):
                product = fresh()
                start = time.perf_counter()
                result = product.publish(client=client)
                publish_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                withdraw(result, client=client)
                withdraw_times.append(time.perf_counter() - start)
            query = timed(
                lambda: client.query("SELECT TOP 1 obs_id FROM ivoa.obscore"), args.repeats
            )
            print(
                f"publish (write FITS, upload, check, ObsCore + ProvTAP rows): median "
                f"{statistics.median(publish_times) * 1e3:.0f} ms; withdraw "
                f"{statistics.median(withdraw_times) * 1e3:.0f} ms; a TAP sync query "
                f"{query * 1e3:.0f} ms"
            )
            for _ in range(args.products):
                published.append(fresh().publish(client=client))
            derived = timed(lambda: client.query(DERIVED), args.repeats)
            cone = timed(lambda: client.query(CONE), args.repeats)
            found = client.query(DERIVED)
            assert len(found) == args.products, len(found)
            headers = {"Authorization": f"Bearer {token}"}
            url = published[0].provenance_url
            graph = {
                (depth, fmt): timed(
                    lambda depth=depth, fmt=fmt: httpx.get(
                        url, params={"depth": depth, "format": fmt}, headers=headers
                    ).raise_for_status(),
                    args.repeats,
                )
                for depth, fmt in ((1, "json"), (3, "json"), (1, "svg"))
            }
            print(
                f"with {args.products} products: ProvTAP 'derived from run 23523' "
                f"{derived * 1e3:.0f} ms ({len(found)} rows) vs ObsCore 1 deg cone "
                f"{cone * 1e3:.0f} ms (ratio {derived / cone:.2f})"
            )
            print(
                "lineage graph: "
                + ", ".join(f"depth {d} {f} {t * 1e3:.0f} ms" for (d, f), t in graph.items())
            )
            for result in published:
                withdraw(result, client=client)
        finally:
            if service is not None:
                service.stop()


if __name__ == "__main__":
    main()
