"""Counts cubes with ctanb against gammapy's MapDatasetMaker (counts only), in one run.

(a) the 4 H.E.S.S. Crab runs stacked in one 500x500x20 cube; (b) all 105 H.E.S.S. runs,
one 500x500x20 cube at each run's pointing, from a warm cache; (c) synthetic runs written
by ``ctanb simulate`` (default 100 runs of 10^6 events = 10^8 events) stacked in one cube,
from a warm cache: on one core, on dask with 1 and with 2 workers, and gammapy on a few of
the same runs for its rate. Every case checks ctanb's counts against gammapy's (bin for
bin where both ran). Medians of --repeat runs; nothing asserted, figures printed.

    python benchmarks/bench_countmap.py [--repeat 3] [--runs 100] [--events-per-run 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
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
from ctanb.analysis.binning import FastWcsBinner
from ctanb.analysis.cache import EventCache
from ctanb.analysis.countmap import bin_events, bin_events_sparse, make_geom
from ctanb.analysis.simulate import simulate_runs
from ctanb.config import get_settings

EDGES = np.geomspace(0.1, 100, 21) * u.TeV
GEOM = {"width": 10 * u.deg, "binsz": 0.02 * u.deg, "energy_edges": EDGES}  # 500 x 500 x 20
CRAB = SkyCoord(83.633, 22.014, unit="deg")


def median_time(func, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def gammapy_counts(observations, geom) -> np.ndarray:
    maker = MapDatasetMaker(selection=["counts"])
    return sum(maker.run(MapDataset.create(geom), o).counts.data for o in observations)


def case_a(store, files, repeat) -> None:
    crab = [23523, 23526, 23559, 23592]
    ours, product = median_time(
        lambda: make_count_map([files[o] for o in crab], skydir=CRAB, **GEOM), repeat
    )
    geom = product.map.geom
    observations = store.get_observations(crab)
    theirs, reference = median_time(lambda: gammapy_counts(observations, geom), repeat)
    print(
        f"(a) 4 Crab runs stacked, {geom.data_shape}: ctanb {ours:.3f} s, gammapy "
        f"{theirs:.3f} s, ratio {theirs / ours:.1f}x, identical="
        f"{np.array_equal(product.map.data, reference)}, {product.total} events"
    )


def case_b(store, files, repeat) -> None:
    """One cube per run at its pointing, as gammapy's per-observation datasets are made.

    Each tool makes every run's cube, keeps its non-empty bins and counts (ctanb's sparse
    form; gammapy's Map scanned) and moves on, so neither holds 105 dense cubes (4 GB).
    """
    for path in files.values():  # warm the cache
        read_events(path)
    events = {o: read_events(p) for o, p in files.items()}
    geoms = {o: make_geom(e.pointing, **GEOM) for o, e in events.items()}
    work = np.zeros(int(np.prod(next(iter(geoms.values())).data_shape)))

    def ours_all():
        cubes = []
        for o, path in files.items():
            geom = geoms[o]
            cubes.append(
                bin_events_sparse(read_events(path), geom, FastWcsBinner.for_geom(geom), work)
            )
        return cubes

    all_obs = {o.obs_id: o for o in store.get_observations(list(files))}
    maker = MapDatasetMaker(selection=["counts"])

    def gammapy_all():
        cubes = []
        for o in files:
            data = maker.run(MapDataset.create(geoms[o]), all_obs[o]).counts.data.ravel()
            index = np.flatnonzero(data)
            cubes.append((index, data[index]))
        return cubes

    ours, cubes = median_time(ours_all, repeat)
    theirs, references = median_time(gammapy_all, 1)
    identical = all(
        np.array_equal(i, j) and np.array_equal(c, d)
        for (i, c), (j, d) in zip(cubes, references, strict=True)
    )
    n_events = sum(len(e) for e in events.values())
    print(
        f"(b) 105 runs, one 500x500x20 cube each, warm cache: ctanb {ours:.2f} s "
        f"({n_events / ours:.3g} events/s), gammapy {theirs:.2f} s "
        f"({n_events / theirs:.3g} events/s), ratio {theirs / ours:.1f}x (goal >= 20x), "
        f"identical={identical}"
    )


def case_c(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ctanb-bench-synthetic-"))
    try:
        began = time.perf_counter()
        paths = simulate_runs(
            folder, args.runs, events_per_run=args.events_per_run, pointing=CRAB, seed=1
        )
        simulated = time.perf_counter() - began
        cache = EventCache(folder / "cache")
        began = time.perf_counter()
        largest = max(len(read_events(p, cache)) for p in paths)
        filled = time.perf_counter() - began
        n_events = sum(len(read_events(p, cache)) for p in paths)
        print(
            f"(c) {len(paths)} synthetic runs, {n_events:.3g} events: simulated in "
            f"{simulated:.0f} s ({n_events / simulated:.3g} events/s), cache filled in "
            f"{filled:.0f} s"
        )
        geom = make_geom(CRAB, **GEOM)

        def serial():
            out = np.zeros(int(np.prod(geom.data_shape)))
            for path in paths:
                bin_events(read_events(path, cache), geom, out)
            return out

        serial()  # the cache's columns into the page cache, as a warm cache has them
        base_rss = _reset_peak_rss()
        tracemalloc.start()
        serial_time, total = median_time(serial, args.repeat)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        peak_rss = _peak_rss() - base_rss
        columns = largest * (4 * 8 + 3 * 8)  # RA, DEC, ENERGY, TIME, unit vectors
        output = total.nbytes
        budget = 2 * columns + output
        print(
            f"    one core from the cache: {serial_time:.2f} s = "
            f"{n_events / serial_time:.3g} events/s (goal 1e8), total {int(total.sum())}"
        )
        print(
            f"    peak memory: allocated {peak / 1e6:.0f} MB, resident growth {peak_rss / 1e6:.0f}"
            f" MB (columns are memory-mapped) = {max(peak, peak_rss) / budget:.2f} x (2 x "
            f"largest run's columns {2 * columns / 1e6:.0f} MB + output {output / 1e6:.0f} MB)"
            " (goal < 1)"
        )
        tan = make_geom(CRAB, proj="TAN", **GEOM)
        tan_time, _ = median_time(lambda: bin_events_sum(paths, cache, tan), args.repeat)
        print(f"    the same in a TAN cube: {n_events / tan_time:.3g} events/s")
        binning_only = _binning_only(paths, cache, geom, args.repeat)
        print(
            f"    binning alone, columns already in memory: {n_events / binning_only:.3g} events/s"
        )
        _dask(paths, folder, geom, total, args.repeat)
        sample = args.gammapy_runs
        observations = DataStore.from_dir(folder).get_observations(
            [read_events(p, cache).obs_id for p in paths[:sample]]
        )
        theirs, reference = median_time(lambda: gammapy_counts(observations, geom), 1)
        sample_events = sum(len(read_events(p, cache)) for p in paths[:sample])
        ours_sample = bin_events_sum(paths[:sample], cache, geom)
        print(
            f"    gammapy on {sample} of these runs: {sample_events / theirs:.3g} events/s; "
            f"ratio on one core {theirs / sample_events * n_events / serial_time:.0f}x; "
            f"identical={np.array_equal(ours_sample, reference.ravel())}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark (Linux); return the resident size now, in bytes."""
    with open("/proc/self/clear_refs", "w") as stream:
        stream.write("5")
    return _status("VmRSS")


def _peak_rss() -> int:
    return _status("VmHWM")


def _status(key: str) -> int:
    with open("/proc/self/status") as stream:
        for line in stream:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def bin_events_sum(paths, cache, geom) -> np.ndarray:
    out = np.zeros(int(np.prod(geom.data_shape)))
    for path in paths:
        bin_events(read_events(path, cache), geom, out)
    return out


def _binning_only(paths, cache, geom, repeat) -> float:
    loaded = [read_events(p, cache) for p in paths[:10]]
    n_loaded = sum(len(e) for e in loaded)
    n_all = sum(len(read_events(p, cache)) for p in paths)
    out = np.zeros(int(np.prod(geom.data_shape)))
    seconds, _ = median_time(lambda: [bin_events(e, geom, out) for e in loaded], repeat)
    return seconds * n_all / n_loaded


def _dask(paths, folder, geom, serial_total, repeat) -> None:
    from dask.distributed import Client, LocalCluster

    from ctanb.analysis.countmap import _map_runs
    from ctanb.analysis.events import RunFile

    runs = [RunFile(p) for p in paths]
    times = {}
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            _map_runs(runs[:2], geom, str(folder / "cache"), client)  # start the workers
            seconds, (total, _, _) = median_time(
                lambda client=client: _map_runs(runs, geom, str(folder / "cache"), client),
                repeat,
            )
            times[workers] = seconds
            same = np.array_equal(total, serial_total)
            print(f"    dask, {workers} worker(s): {seconds:.2f} s, equal to serial={same}")
    print(f"    speed-up from 1 to 2 workers: {times[1] / times[2]:.2f}x (goal near 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--events-per-run", type=int, default=1_000_000)
    parser.add_argument("--gammapy-runs", type=int, default=2)
    parser.add_argument("--skip", default="", help="cases to skip, e.g. 'b' or 'ab'")
    args = parser.parse_args()
    hess = get_settings().data_dir / "hess-dl3-dr1"
    store = DataStore.from_dir(hess)
    files = {
        int(o): hess / "data" / f"hess_dl3_dr1_obs_id_{int(o):06d}.fits.gz"
        for o in store.obs_table["OBS_ID"]
    }
    if "a" not in args.skip:
        case_a(store, files, args.repeat)
    if "b" not in args.skip:
        case_b(store, files, args.repeat)
    if "c" not in args.skip:
        case_c(args)


if __name__ == "__main__":
    main()
