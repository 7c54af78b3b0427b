"""Counts cubes with ctanb against gammapy's MapDatasetMaker (counts only), in one run.

(a) the 4 H.E.S.S. Crab runs stacked in one 500x500x20 cube; (b) all 105 H.E.S.S. runs,
one 500x500x20 cube at each run's pointing, from a warm cache; (c) binning rate of N
synthetic events held in memory, on one core. Medians of --repeat runs; nothing asserted.

    python benchmarks/bench_countmap.py [--repeat 3] [--events 20000000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker

from ctanb.analysis import make_count_map, read_events
from ctanb.analysis.countmap import bin_events, make_geom
from ctanb.analysis.events import EventList
from ctanb.config import get_settings

EDGES = np.geomspace(0.1, 100, 21) * u.TeV
GEOM = {"width": 10 * u.deg, "binsz": 0.02 * u.deg, "energy_edges": EDGES}  # 500 x 500 x 20


def median_time(func, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000_000)
    args = parser.parse_args()
    hess = get_settings().data_dir / "hess-dl3-dr1"
    store = DataStore.from_dir(hess)
    maker = MapDatasetMaker(selection=["counts"])
    files = {
        int(o): hess / "data" / f"hess_dl3_dr1_obs_id_{int(o):06d}.fits.gz"
        for o in store.obs_table["OBS_ID"]
    }

    # (a) the Crab runs, one stacked cube
    crab = [23523, 23526, 23559, 23592]
    centre = SkyCoord(83.633, 22.014, unit="deg")
    ours, product = median_time(
        lambda: make_count_map([files[o] for o in crab], skydir=centre, **GEOM), args.repeat
    )
    geom = product.map.geom
    observations = store.get_observations(crab)

    def gammapy_crab():
        return sum(maker.run(MapDataset.create(geom), o).counts.data for o in observations)

    theirs, reference = median_time(gammapy_crab, args.repeat)
    n = product.total
    print(
        f"(a) 4 Crab runs, {geom.data_shape}: ctanb {ours:.3f} s, gammapy {theirs:.3f} s, "
        f"ratio {theirs / ours:.1f}x, identical={np.array_equal(product.map.data, reference)},"
        f" {n} events"
    )

    # (b) every run, a cube at its own pointing, warm cache (the first pass above warmed 4)
    for path in files.values():
        read_events(path)
    events = {o: read_events(p) for o, p in files.items()}
    geoms = {o: make_geom(e.pointing, **GEOM) for o, e in events.items()}

    def ours_all():
        return sum(float(bin_events(read_events(files[o]), geoms[o]).sum()) for o in files)

    all_obs = {o.obs_id: o for o in store.get_observations(list(files))}

    def gammapy_all():
        return sum(
            float(maker.run(MapDataset.create(geoms[o]), all_obs[o]).counts.data.sum())
            for o in files
        )

    ours_b, total_ours = median_time(ours_all, args.repeat)
    theirs_b, total_theirs = median_time(gammapy_all, 1)
    n_events = sum(len(e) for e in events.values())
    print(
        f"(b) 105 runs, one 500x500x20 cube each, warm cache: ctanb {ours_b:.2f} s "
        f"({n_events / ours_b:.3g} events/s), gammapy {theirs_b:.2f} s "
        f"({n_events / theirs_b:.3g} events/s), ratio {theirs_b / ours_b:.1f}x (goal >= 20x),"
        f" same totals={total_ours == total_theirs}"
    )

    # (c) raw binning rate of synthetic events, one core
    rng = np.random.default_rng(0)
    size = args.events
    synthetic = EventList(
        obs_id=0,
        path=Path("synthetic"),
        ra=83.633 + rng.uniform(-5, 5, size),
        dec=22.014 + rng.uniform(-5, 5, size),
        energy=np.exp(rng.uniform(np.log(0.1), np.log(100), size)),
        time=np.zeros(size),
        meta={"RA_PNT": 83.633, "DEC_PNT": 22.014},
    )
    cube = make_geom(centre, **GEOM)
    tracemalloc.start()
    rate_time, _ = median_time(lambda: bin_events(synthetic, cube), args.repeat)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    columns = synthetic.ra.nbytes * 3
    print(
        f"(c) {size:.3g} synthetic events binned in {rate_time:.2f} s = "
        f"{size / rate_time:.3g} events/s on one core (goal 1e8); peak extra memory "
        f"{peak / 1e6:.0f} MB for {columns / 1e6:.0f} MB of columns"
    )


if __name__ == "__main__":
    main()
