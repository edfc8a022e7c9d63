"""Benchmark of the spatial ID library: point encoding and geometry covers.

Run: ``.venv/bin/python bench/spatialid_bench.py`` (or ``make bench``). Prints figures and,
for the point encoder, the ratio to a plain per-point Python implementation run in the same
process (these machines are noisy; compare ratios, not absolute numbers).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from shapely.geometry import box

from spatialid import geometry_to_voxels, vectorized
from spatialid.geometry import tube_to_voxels

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
    print(f"prism   1 km x 1 km x 150 m z{z}: {t * 1000:8.1f} ms  {len(cover):>12,} voxels"
          f"  ({len(cover) / t / 1e6:.1f} M voxels/s)")


def bench_corridor(z: int = 23, radius: float = 15.0) -> None:
    """Cover a 5 km flight corridor (tube of given radius) climbing from 60 m to 120 m."""
    lng, lat = TOKYO
    dlng = 5000.0 / (METRES_PER_DEG_LAT * math.cos(math.radians(lat))) / math.sqrt(2)
    dlat = 5000.0 / METRES_PER_DEG_LAT / math.sqrt(2)
    path = [(lng, lat, 60.0), (lng + dlng, lat + dlat, 120.0)]
    t, cover = best_of(3, lambda: tube_to_voxels(path, radius, z))
    print(f"tube    5 km, r={radius:g} m, z{z}:      {t * 1000:8.1f} ms  {len(cover):>12,} voxels")


def main() -> None:
    """Run every benchmark and print its figures."""
    bench_points()
    bench_prism(22)
    bench_prism(24)
    bench_corridor()


if __name__ == "__main__":
    main()
