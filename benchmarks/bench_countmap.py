"""Count cubes: ctanb's public ``make_count_map`` against gammapy, like for like, in one run.

Two workloads, each cold and warm, medians of ``--repeat`` passes, the same inputs and the
same outputs (a dense 500 x 500 x 20 CAR cube, identical counts, checked):

(a) one cube per run, at its pointing, for the 105 H.E.S.S. DR1 runs;
(b) one stacked cube of ``--runs`` synthetic runs of ``--events-per-run`` events
    (``ctanb simulate``).

Both tools apply each run's GTIs (ctanb does by default). As ../shared/RECIPES.md §5 says:

- gammapy warm: events read once (``get_observations(required_irf=[])``, GTI applied,
  kept in memory); timed: ``Map.from_geom(geom); m.fill_events(events)`` per cube.
- gammapy cold: the same loop including ``DataStore.obs`` and the first ``events`` access.
- ctanb warm: the columnar cache filled; timed: ``make_count_map(...)`` per cube.
- ctanb cold: an empty cache folder (and no run open in the process).

Geometries are made before timing for both (gammapy gets the very ``WcsGeom`` objects
ctanb makes). Also printed: events/s per core from the cache, the bare kernel's rate, and
what provenance (checksum and PROV document) costs next to a cube's build. Nothing is
asserted; the last lines are the README's table.

    python benchmarks/bench_countmap.py [--repeat 3] [--runs 5] [--events-per-run 1000000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.maps import Map

EDGES = np.geomspace(0.1, 100, 21) * u.TeV
GEOM = {"width": 10 * u.deg, "binsz": 0.02 * u.deg, "energy_edges": EDGES}  # 500 x 500 x 20
CRAB = SkyCoord(83.633, 22.014, unit="deg")
ROWS: list[tuple[str, float, float, str]] = []
CPU: dict[int, float] = {}  # id(result) -> median CPU time of the pass that made it


def median_time(func, repeat: int, setup=None) -> tuple[float, object]:
    """Median wall time of ``func()`` over ``repeat`` passes (``setup()`` untimed before each).

    The median CPU time of the passes (this process, all threads) is kept in ``CPU`` under
    the result's id: on a machine shared with others, wall time measures the others too.
    """
    times, cpu, result = [], [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[id(result)] = statistics.median(cpu)
    return statistics.median(times), result


def cpu_of(result: object) -> float:
    return CPU[id(result)]


def in_gti(observation):
    """The observation's events inside its GTIs, with gammapy (as ctanb counts them)."""
    events = observation.events
    times = events.time
    keep = np.zeros(len(events.table), dtype=bool)
    gti = observation.gti
    for start, stop in zip(gti.time_start, gti.time_stop, strict=True):
        keep |= (times >= start) & (times < stop)
    return events.select_row_subset(keep)


def fresh_cache() -> Path:
    """An empty ctanb cache folder, and no run left open in this process (a cold start)."""
    from ctanb.analysis import events

    folder = Path(tempfile.mkdtemp(prefix="ctanb-bench-cache-"))
    os.environ["CTANB_CACHE"] = str(folder)
    events._OPEN.clear()
    return folder


def sparse(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = np.asarray(data).ravel()
    index = np.flatnonzero(flat)
    return index, flat[index]


def per_run_cubes(args) -> None:
    """(a) one cube per H.E.S.S. run at its pointing."""
    from ctanb.analysis import make_count_map
    from ctanb.analysis.countmap import make_geom
    from ctanb.config import get_settings

    hess = get_settings().data_dir / "hess-dl3-dr1"
    store = DataStore.from_dir(hess)
    table = store.obs_table
    ids = [int(o) for o in table["OBS_ID"]][: args.hess_runs]
    files = {o: hess / "data" / f"hess_dl3_dr1_obs_id_{o:06d}.fits.gz" for o in ids}
    pointings = {
        int(r["OBS_ID"]): SkyCoord(float(r["RA_PNT"]), float(r["DEC_PNT"]), unit="deg")
        for r in table
        if int(r["OBS_ID"]) in files
    }
    geoms = {o: make_geom(pointings[o], **GEOM) for o in ids}

    def ctanb_all():
        return [make_count_map([files[o]], skydir=pointings[o], **GEOM) for o in ids]

    def gammapy_warm_all():
        cubes = []
        for o in ids:
            cube = Map.from_geom(geoms[o])
            cube.fill_events(events[o])
            cubes.append(cube)
        return cubes

    def gammapy_cold_all():
        cold_store = DataStore.from_dir(hess)
        cubes = []
        for o in ids:
            cube = Map.from_geom(geoms[o])
            cube.fill_events(in_gti(cold_store.obs(o, required_irf=[])))
            cubes.append(cube)
        return cubes

    folders = []

    def cold_setup():
        folders.append(fresh_cache())

    theirs_cold, theirs_cold_result = median_time(gammapy_cold_all, args.repeat)
    ours_cold, ours_cold_result = median_time(ctanb_all, args.repeat, setup=cold_setup)
    events = {o.obs_id: in_gti(o) for o in store.get_observations(ids, required_irf=[])}
    n_events = sum(len(e.table) for e in events.values())
    theirs_warm, reference = median_time(gammapy_warm_all, args.repeat)
    ctanb_all()  # the cache is warm (the last cold pass filled it)
    ours_warm, products = median_time(ctanb_all, args.repeat)
    identical = all(
        all(np.array_equal(a, b) for a, b in zip(sparse(p.map.data), sparse(r.data), strict=True))
        for p, r in zip(products, reference, strict=True)
    )
    # provenance next to a cube's build (each product builds its document once)
    _, _ = median_time(lambda: [p.provenance for p in products], 1)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    build = cpu_of(products) / len(ids)
    prov = CPU[id(_)] / len(ids)
    warm_cpu = (cpu_of(reference), cpu_of(products))
    cold_cpu = (cpu_of(theirs_cold_result), cpu_of(ours_cold_result))
    print(
        f"(a) {len(ids)} runs, one 500x500x20 cube each, {n_events} events, identical="
        f"{identical}\n    warm: gammapy {theirs_warm:.2f} s, ctanb {ours_warm:.2f} s, ratio "
        f"{theirs_warm / ours_warm:.1f}x (CPU time {warm_cpu[0]:.2f} s / {warm_cpu[1]:.2f} s "
        f"= {warm_cpu[0] / warm_cpu[1]:.1f}x; {build * 1e3:.1f} ms a cube)\n"
        f"    cold: gammapy {theirs_cold:.2f} s, ctanb {ours_cold:.2f} s, ratio "
        f"{theirs_cold / ours_cold:.1f}x (CPU {cold_cpu[0]:.2f} s / {cold_cpu[1]:.2f} s = "
        f"{cold_cpu[0] / cold_cpu[1]:.1f}x)\n    provenance (checksum + PROV document): "
        f"{prov * 1e3:.2f} ms CPU a cube = {100 * prov / build:.0f} % of its build (goal < 5 %)"
    )
    name = f"per-run cubes, {len(ids)} runs"
    ROWS.append((f"{name}, warm (wall)", theirs_warm, ours_warm, ">= 3x"))
    ROWS.append((f"{name}, warm (CPU)", *warm_cpu, ">= 3x"))
    ROWS.append((f"{name}, cold (wall)", theirs_cold, ours_cold, ">= 3x"))
    ROWS.append((f"{name}, cold (CPU)", *cold_cpu, ">= 3x"))
    ROWS.append(
        (
            f"provenance of a per-run cube ({100 * prov / build:.0f} % of build)",
            build,
            prov,
            "< 5 %",
        )
    )


def stacked_cube(args) -> None:
    """(b) one cube of large synthetic runs."""
    from ctanb.analysis import make_count_map, read_events
    from ctanb.analysis.countmap import bin_events, make_geom
    from ctanb.analysis.simulate import simulate_runs

    folder = Path(tempfile.mkdtemp(prefix="ctanb-bench-synthetic-"))
    folders = []
    try:
        began = time.perf_counter()
        paths = simulate_runs(
            folder, args.runs, events_per_run=args.events_per_run, pointing=CRAB, seed=1
        )
        print(f"(b) {len(paths)} synthetic runs simulated in {time.perf_counter() - began:.0f} s")
        geom = make_geom(CRAB, **GEOM)
        store = DataStore.from_dir(folder)
        obs_ids = [int(o) for o in store.obs_table["OBS_ID"]]

        def ours():
            return make_count_map(paths, skydir=CRAB, **GEOM)

        def gammapy_warm():
            cube = Map.from_geom(geom)
            for e in events:
                cube.fill_events(e)
            return cube

        def gammapy_cold():
            cold_store = DataStore.from_dir(folder)
            cube = Map.from_geom(geom)
            for o in obs_ids:
                cube.fill_events(in_gti(cold_store.obs(o, required_irf=[])))
            return cube

        def cold_setup():
            folders.append(fresh_cache())

        repeat_cold = max(1, args.repeat - 1)  # a cold pass re-reads and re-caches every run
        theirs_cold, theirs_cold_result = median_time(gammapy_cold, repeat_cold)
        ours_cold, ours_cold_result = median_time(ours, repeat_cold, setup=cold_setup)
        events = [in_gti(o) for o in store.get_observations(obs_ids, required_irf=[])]
        n_events = sum(len(e.table) for e in events)
        theirs_warm, reference = median_time(gammapy_warm, args.repeat)
        ours()
        ours_warm, product = median_time(ours, args.repeat)
        identical = np.array_equal(product.map.data, reference.data)
        loaded = [read_events(p) for p in paths]
        out = np.zeros(int(np.prod(geom.data_shape)))
        _, kernel_result = median_time(
            lambda: [bin_events(e, geom, out) for e in loaded], args.repeat
        )
        kernel = cpu_of(kernel_result)
        warm_cpu = (cpu_of(reference), cpu_of(product))
        cold_cpu = (cpu_of(theirs_cold_result), cpu_of(ours_cold_result))
        rate = n_events / warm_cpu[1]
        print(
            f"    {n_events:.3g} events, one 500x500x20 cube, identical={identical}\n"
            f"    warm: gammapy {theirs_warm:.2f} s, ctanb {ours_warm:.3f} s, ratio "
            f"{theirs_warm / ours_warm:.1f}x (CPU {warm_cpu[0]:.2f} s / {warm_cpu[1]:.3f} s = "
            f"{warm_cpu[0] / warm_cpu[1]:.1f}x); ctanb {rate:.3g} events/s per core (CPU) from "
            f"the cache (goal 1e8), bare kernel {n_events / kernel:.3g} events/s\n"
            f"    cold: gammapy {theirs_cold:.2f} s, ctanb {ours_cold:.2f} s, ratio "
            f"{theirs_cold / ours_cold:.1f}x (CPU {cold_cpu[0]:.2f} s / {cold_cpu[1]:.2f} s)"
        )
        label = f"{len(paths)} synthetic runs of {args.events_per_run:.0e} events, stacked"
        ROWS.append((f"{label}, warm (wall)", theirs_warm, ours_warm, ">= 20x"))
        ROWS.append((f"{label}, warm (CPU)", *warm_cpu, ">= 20x"))
        ROWS.append((f"{label}, cold (wall)", theirs_cold, ours_cold, ""))
        ROWS.append((f"{label}, cold (CPU)", *cold_cpu, ""))
        ROWS.append(("events/s per core (CPU) from the cache", 1e8, rate, ">= 1e8"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for cache in folders:
            shutil.rmtree(cache, ignore_errors=True)


def table() -> None:
    """The README's table: like-for-like figures, and whether each goal is reached."""
    print("\n| workload | gammapy | ctanb | ratio | goal | reached |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, theirs, ours, goal in ROWS:
        if name.startswith("events/s"):
            print(f"| {name} | | {ours:.3g} | | {goal} | {'yes' if ours >= theirs else 'no'} |")
        elif name.startswith("provenance"):
            share = ours / theirs
            print(
                f"| {name} | | {ours * 1e3:.2f} ms | | {goal} | {'yes' if share < 0.05 else 'no'} |"
            )
        else:
            ratio = theirs / ours
            need = float(goal.strip(">= x")) if goal else None
            reached = "" if need is None else ("yes" if ratio >= need else "no")
            print(f"| {name} | {theirs:.2f} s | {ours:.3f} s | {ratio:.1f}x | {goal} | {reached} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="synthetic runs, stacked (b)")
    parser.add_argument("--events-per-run", type=int, default=1_000_000)
    parser.add_argument("--hess-runs", type=int, default=105, help="H.E.S.S. runs for (a)")
    parser.add_argument("--skip", default="", help="workloads to skip: 'a', 'b'")
    args = parser.parse_args()
    original = os.environ.get("CTANB_CACHE")
    try:
        if "a" not in args.skip:
            per_run_cubes(args)
        if "b" not in args.skip:
            stacked_cube(args)
    finally:
        if original is None:
            os.environ.pop("CTANB_CACHE", None)
        else:
            os.environ["CTANB_CACHE"] = original
    table()


if __name__ == "__main__":
    main()
