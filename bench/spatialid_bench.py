"""Benchmark of the spatial ID library: point encoding, the scalar path, text IDs, covers.

Run: ``.venv/bin/python bench/spatialid_bench.py`` (or ``make bench``). Prints figures and
ratios measured in the same process (these machines are noisy; compare ratios, not
absolute numbers):

- ``points``: the vectorised encoder against a plain per-point Python implementation;
- ``scalar``: one call per point -- Kukan's scalar functions, the former scalar path (the
  numpy kernel on one-element arrays) and, given ``--reference DIR`` (or the environment
  variable ``KUKAN_SPATIALID_REFERENCE``), the per-point calls of the Digital Agency's
  reference library (``ouranos-gex-lib-for-Python``, package ``SpatialId``; ``DIR`` is the
  folder holding ``SpatialId``, i.e. the checkout's ``src``). The reference is loaded from
  that folder, never installed or copied here. Its debug log to a file is switched off
  after one short as-shipped measurement, so that its arithmetic is what is compared;
- ``format``: ``vectorized.format_ids`` against a list of f-strings over the same arrays;
- ``covers``: a prism and a flight corridor.

``--only scalar format`` runs some of them.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import box

from spatialid import (
    Voxel,
    geometry_to_voxels,
    lnglat_to_voxel,
    parent,
    parse_voxel,
    time_to_index,
    vectorized,
    voxel_bounds,
    voxel_center,
    voxel_vertices,
)
from spatialid.geometry import tube_to_voxels
from spatialid.voxel import validate

TOKYO = (139.767125, 35.681236)
METRES_PER_DEG_LAT = 111_320.0


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``runs`` calls of ``fn`` and its last result."""
    best, result = math.inf, None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def per_point_python(lng: float, lat: float, alt: float, z: int) -> tuple[int, int, int]:
    """The formula of DESIGN.md §1, one point at a time (the baseline)."""
    n = 1 << z
    lat = max(-85.0511287798, min(85.0511287798, lat))
    x = math.floor((lng + 180.0) / 360.0 * n) % n
    phi = math.radians(lat)
    y = math.floor((1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n)
    f = math.floor(n * alt / 2.0**25)
    return f, x, y


def bench_points(count: int = 1_000_000, z: int = 25) -> None:
    """Vectorised encoder against the per-point baseline on random points."""
    rng = np.random.default_rng(7)
    lng = rng.uniform(-180, 180, count)
    lat = rng.uniform(-85, 85, count)
    alt = rng.uniform(-100, 3000, count)
    t_vec, (f, x, y) = best_of(5, lambda: vectorized.lnglat_to_voxel(lng, lat, alt, z))
    sample = 100_000
    pl, pa, pz = lng[:sample].tolist(), lat[:sample].tolist(), alt[:sample].tolist()
    t_py, ref = best_of(
        2, lambda: [per_point_python(a, b, c, z) for a, b, c in zip(pl, pa, pz, strict=True)]
    )
    agree = np.array_equal(np.array(ref), np.stack([f[:sample], x[:sample], y[:sample]], axis=1))
    vec_rate, py_rate = count / t_vec, sample / t_py
    print(f"points  vectorised   {vec_rate / 1e6:8.1f} M points/s  ({count:,} points, z{z})")
    print(f"points  per-point py {py_rate / 1e6:8.2f} M points/s  ({sample:,} points)")
    print(f"points  ratio        {vec_rate / py_rate:8.1f} x   (results agree: {agree})")


def metres_box(lng: float, lat: float, width_m: float) -> Any:
    """A width_m x width_m square (lng/lat) with its south-west corner at (lng, lat)."""
    dlat = width_m / METRES_PER_DEG_LAT
    dlng = width_m / (METRES_PER_DEG_LAT * math.cos(math.radians(lat)))
    return box(lng, lat, lng + dlng, lat + dlat)


def bench_prism(z: int) -> None:
    """Cover a 1 km x 1 km x 150 m prism at Tokyo."""
    square = metres_box(*TOKYO, 1000.0)
    t, cover = best_of(3, lambda: geometry_to_voxels(square, z, alt_lower=0.0, alt_upper=150.0))
    print(
        f"prism   1 km x 1 km x 150 m z{z}: {t * 1000:8.1f} ms  {len(cover):>12,} voxels"
        f"  ({len(cover) / t / 1e6:.1f} M voxels/s)"
    )


def bench_corridor(z: int = 23, radius: float = 15.0) -> None:
    """Cover a 5 km flight corridor (tube of given radius) climbing from 60 m to 120 m."""
    lng, lat = TOKYO
    dlng = 5000.0 / (METRES_PER_DEG_LAT * math.cos(math.radians(lat))) / math.sqrt(2)
    dlat = 5000.0 / METRES_PER_DEG_LAT / math.sqrt(2)
    path = [(lng, lat, 60.0), (lng + dlng, lat + dlat, 120.0)]
    t, cover = best_of(3, lambda: tube_to_voxels(path, radius, z))
    print(f"tube    5 km, r={radius:g} m, z{z}:      {t * 1000:8.1f} ms  {len(cover):>12,} voxels")


def interleaved_best(rounds: int, candidates: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Best wall time of each candidate over ``rounds`` rounds, the candidates taking turns
    within each round (so a burst of load on the machine hits all of them alike).

    As ``timeit`` does, the cyclic garbage collector is paused while a candidate runs (after
    a collection), so that a collection triggered by one candidate's garbage is not charged
    to another.
    """
    best = dict.fromkeys(candidates, math.inf)
    for _ in range(rounds):
        for name, fn in candidates.items():
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
            finally:
                gc.enable()
    return best


Candidate = tuple[Sequence[Any], Callable[[Sequence[Any]], Any]]
"""The inputs of a per-call candidate, and what runs it on a slice of them."""


def chunked_best(
    rounds: int, candidates: dict[str, Candidate], chunk: int = 50
) -> dict[str, float]:
    """Seconds per call of each candidate: its inputs are cut into chunks of ``chunk``
    calls, each chunk is timed ``rounds`` times (candidates and chunks taking turns) and
    the best time of each chunk counts. Chunks short next to a scheduler time slice give
    runs that no other process interrupted even on a busy machine. The garbage collector
    is paused while timing (one collection before each round).
    """
    cut = {
        name: [items[i : i + chunk] for i in range(0, len(items), chunk)]
        for name, (items, _) in candidates.items()
    }
    best = {name: [math.inf] * len(chunks) for name, chunks in cut.items()}
    gc.disable()
    try:
        for _ in range(rounds):
            gc.collect()
            for j in range(max(len(c) for c in cut.values())):
                for name, (_, fn) in candidates.items():
                    if j < len(cut[name]):
                        t0 = time.perf_counter()
                        fn(cut[name][j])
                        best[name][j] = min(best[name][j], time.perf_counter() - t0)
    finally:
        gc.enable()
    return {name: sum(b) / len(candidates[name][0]) for name, b in best.items()}


def old_lnglat_to_voxel(lng: float, lat: float, alt: float, z: int) -> Voxel:
    """The former scalar encoder: the numpy kernel on one-element arrays."""
    f, x, y = vectorized.lnglat_to_voxel(np.array([lng]), np.array([lat]), np.array([alt]), z)
    return Voxel(z, int(f[0]), int(x[0]), int(y[0]))


def old_voxel_center(v: Voxel) -> tuple[float, float, float]:
    """The former scalar centre: the numpy kernel on one voxel."""
    z, f, x, y = validate(v)
    lng, lat, alt = vectorized.voxel_center(z, f, x, y)
    return (float(lng), float(lat), float(alt))


def old_voxel_vertices(v: Voxel) -> list[tuple[float, float, float]]:
    """The former scalar corners: bounds from the numpy kernel on one voxel."""
    z, f, x, y = validate(v)
    west, south, bottom, east, north, top = (float(a) for a in vectorized.voxel_bounds(z, f, x, y))
    ring = [(west, north), (west, south), (east, south), (east, north)]
    return [(lng, lat, h) for h in (bottom, top) for lng, lat in ring]


def load_reference(folder: str) -> Any:
    """The reference library's ``SpatialId`` package from ``folder`` (or its ``src``)."""
    root = Path(folder)
    if (root / "src" / "SpatialId").is_dir():
        root = root / "src"
    if not (root / "SpatialId").is_dir():
        raise SystemExit(f"no SpatialId package in {folder}")
    sys.path.insert(0, str(root))
    import SpatialId.common.object.enum  # type: ignore[import-not-found]
    import SpatialId.common.object.point
    import SpatialId.shape.point

    return SpatialId


def quiet_reference_log(ref: Any) -> None:
    """Switch off the reference's DEBUG log to a file (its own handlers on its logger)."""
    log = logging.getLogger(ref.LOGGER_NAME)
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    log.setLevel(logging.WARNING)


def print_per_call(section: str, seconds: dict[str, float]) -> dict[str, float]:
    """Print and return microseconds per call of each candidate."""
    us = {name: t * 1e6 for name, t in seconds.items()}
    for name, t in us.items():
        print(f"{section:8s} {name:38s} {t:9.2f} us/call")
    return us


def random_points(count: int) -> list[tuple[float, float, float]]:
    """Points anywhere on the map (within the reference's latitude range), -100..3000 m."""
    rng = np.random.default_rng(11)
    columns = (
        rng.uniform(-180, 180, count),
        rng.uniform(-85, 85, count),
        rng.uniform(-100, 3000, count),
    )
    return list(zip(*(c.tolist() for c in columns), strict=True))


def bench_scalar(
    reference_dir: str | None, count: int = 1000, z: int = 25, rounds: int = 21
) -> None:
    """One call per point: Kukan's scalar path, its former path and the reference."""
    print(f"scalar   load average {os.getloadavg()[0]:.2f} at start; {count:,} points, z{z}")
    pts = random_points(count)
    new = [lnglat_to_voxel(a, b, c, z) for a, b, c in pts]
    texts = [str(v) for v in new]
    same = new == [old_lnglat_to_voxel(a, b, c, z) for a, b, c in pts]
    print(f"scalar   encoder agrees with the former path: {same} ({count:,} points)")
    encode: dict[str, Candidate] = {
        "kukan lnglat_to_voxel": (pts, lambda c: [lnglat_to_voxel(a, b, d, z) for a, b, d in c]),
        "kukan str(lnglat_to_voxel)": (
            pts,
            lambda c: [str(lnglat_to_voxel(a, b, d, z)) for a, b, d in c],
        ),
        "kukan former (kernel, 1 element)": (
            pts,
            lambda c: [old_lnglat_to_voxel(a, b, d, z) for a, b, d in c],
        ),
    }
    centre: dict[str, Candidate] = {
        "kukan voxel_center(parse_voxel(id))": (
            texts,
            lambda c: [voxel_center(parse_voxel(s)) for s in c],
        ),
        "kukan voxel_center": (new, lambda c: [voxel_center(v) for v in c]),
        "kukan former voxel_center": (new, lambda c: [old_voxel_center(v) for v in c]),
    }
    corners: dict[str, Candidate] = {
        "kukan voxel_vertices(parse_voxel(id))": (
            texts,
            lambda c: [voxel_vertices(parse_voxel(s)) for s in c],
        ),
        "kukan voxel_vertices": (new, lambda c: [voxel_vertices(v) for v in c]),
        "kukan former voxel_vertices": (new, lambda c: [old_voxel_vertices(v) for v in c]),
    }
    ref = load_reference(reference_dir) if reference_dir else None
    if ref is None:
        print("scalar   no reference given (--reference DIR or KUKAN_SPATIALID_REFERENCE): skipped")
    else:
        point, option = ref.common.object.point.Point, ref.common.object.enum.Point_Option
        encode_ref, points_ref = (
            ref.shape.point.f_get_spatial_ids_on_points,
            ref.shape.point.f_get_point_on_spatial_id,
        )
        t0 = time.perf_counter()
        for a, b, c in pts[:200]:
            encode_ref([point(a, b, c)], z)
        shipped = (time.perf_counter() - t0) / 200 * 1e6
        print(f"scalar   reference as shipped (DEBUG log to a file): {shipped:9.2f} us/call, once")
        quiet_reference_log(ref)
        agree = sum(encode_ref([point(*p)], z) == [t] for p, t in zip(pts, texts, strict=True))
        print(
            f"scalar   encoder agrees with the reference: {agree:,}/{count:,} IDs"
            " (the reference truncates latitudes to 10 decimals)"
        )
        encode["reference f_get_spatial_ids_on_points"] = (
            pts,
            lambda c: [encode_ref([point(a, b, d)], z) for a, b, d in c],
        )
        centre["reference f_get_point_on_spatial_id"] = (
            texts,
            lambda c: [points_ref(s, option.CENTER) for s in c],
        )
        corners["reference f_get_point_on_spatial_id"] = (
            texts,
            lambda c: [points_ref(s, option.VERTEX) for s in c],
        )
    enc = print_per_call("encode", chunked_best(rounds, encode))
    cen = print_per_call("centre", chunked_best(rounds, centre))
    ver = print_per_call("vertices", chunked_best(rounds, corners))
    kukan = enc["kukan lnglat_to_voxel"]
    former = enc["kukan former (kernel, 1 element)"]
    print(f"ratio    encode: former / scalar {former / kukan:.1f} x")
    if ref is not None:
        r = enc["reference f_get_spatial_ids_on_points"]
        print(
            f"ratio    encode: reference / kukan {r / kukan:.1f} x"
            f" (reference / kukan with str(): {r / enc['kukan str(lnglat_to_voxel)']:.1f} x)"
        )
        r = cen["reference f_get_point_on_spatial_id"]
        print(
            f"ratio    centre of a text ID: reference / kukan"
            f" {r / cen['kukan voxel_center(parse_voxel(id))']:.1f} x"
        )
        r = ver["reference f_get_point_on_spatial_id"]
        print(
            f"ratio    vertices of a text ID: reference / kukan"
            f" {r / ver['kukan voxel_vertices(parse_voxel(id))']:.1f} x"
        )
    when = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    others: dict[str, Candidate] = {
        "parse_voxel": (texts, lambda c: [parse_voxel(s) for s in c]),
        "str(Voxel)": (new, lambda c: [str(v) for v in c]),
        "parent (to z20)": (new, lambda c: [parent(v, 20) for v in c]),
        "voxel_bounds": (new, lambda c: [voxel_bounds(v) for v in c]),
        "time_to_index(datetime, 60)": (new, lambda c: [time_to_index(when, 60) for _ in c]),
    }
    print_per_call("other", chunked_best(rounds, others))
    print(f"scalar   load average {os.getloadavg()[0]:.2f} at end")


def f_string_ids(z: int, f: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[str]:
    """The baseline: a list of f-strings over the same arrays."""
    return [f"{z}/{a}/{b}/{c}" for a, b, c in zip(f.tolist(), x.tolist(), y.tolist(), strict=True)]


def bench_format_size(n: int, z: int = 23) -> None:
    """``format_ids`` against the f-string list for ``n`` IDs at one zoom."""
    rng = np.random.default_rng(5)
    f = rng.integers(-1000, 1000, n)
    x, y = rng.integers(0, 1 << z, n), rng.integers(0, 1 << z, n)
    same = vectorized.format_ids(z, f, x, y) == f_string_ids(z, f, x, y)
    reps = max(1, 2000 // n)
    best = interleaved_best(
        max(15, min(200, 2_000_000 // (n * reps))),
        {
            "f-strings": lambda: [f_string_ids(z, f, x, y) for _ in range(reps)],
            "format_ids": lambda: [vectorized.format_ids(z, f, x, y) for _ in range(reps)],
        },
    )
    fs, fi = (best[k] / (n * reps) * 1e9 for k in ("f-strings", "format_ids"))
    print(
        f"format   {n:>7,} IDs: f-string list {fs:7.1f} ns/ID  format_ids {fi:7.1f} ns/ID"
        f"  f-strings / format_ids {fs / fi:.2f} x  (identical: {same})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the chosen benchmarks (all by default) and print their figures."""
    parser = argparse.ArgumentParser(description="Benchmark of the spatial ID library.")
    parser.add_argument(
        "--reference",
        default=os.environ.get("KUKAN_SPATIALID_REFERENCE"),
        help="folder holding the reference library's SpatialId package (or its checkout)",
    )
    parser.add_argument("--only", nargs="+", choices=["points", "scalar", "format", "covers"])
    args = parser.parse_args(argv)
    only = set(args.only or ["points", "scalar", "format", "covers"])
    if "points" in only:
        bench_points()
    if "scalar" in only:
        bench_scalar(args.reference)
    if "format" in only:
        for n in (1, 10, 100, 1000, 100_000):
            bench_format_size(n)
    if "covers" in only:
        bench_prism(22)
        bench_prism(24)
        bench_corridor()


if __name__ == "__main__":
    main()
