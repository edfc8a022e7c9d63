"""Benchmark of the importers: the demo extract (central Helsinki, © OpenStreetMap, ODbL).

Run: ``.venv/bin/python bench/import_bench.py [--runs N]``. Imports
``data/helsinki.osm.pbf`` into a scratch database ``kukan_bench_import`` on the private
cluster (``scripts/devdb.sh url``; KUKAN_DATABASE_URL's server when set), migrated to head,
``N`` times under one source (each run replaces the last, as a re-import does), and prints
the best throughput of each step: parsing, building voxelisation and write, road write.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from registry import migrate
from registry.db import make_engine, make_sessionmaker, session_scope
from registry.importers.parsers.osm import read_osm
from registry.importers.store import write_buildings, write_roads

ROOT = Path(__file__).resolve().parent.parent
PBF = ROOT / "data" / "helsinki.osm.pbf"


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name``."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    """Drop and create the database of ``url`` with PostGIS and btree_gist."""
    admin = create_engine(
        with_database(url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    admin.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    engine.dispose()


def base_url() -> str:
    """The server to benchmark on: KUKAN_DATABASE_URL, else the private cluster."""
    url = os.environ.get("KUKAN_DATABASE_URL")
    if url:
        return url
    out = subprocess.run(
        [str(ROOT / "scripts" / "devdb.sh"), "url"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def main() -> None:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = with_database(base_url(), "kukan_bench_import")
    recreate_database(url)
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=1)
    factory = make_sessionmaker(engine)
    best: dict[str, float] = {}
    for _ in range(args.runs):
        t0 = time.perf_counter()
        data = read_osm(PBF)
        t1 = time.perf_counter()
        with session_scope(factory) as session:
            out = write_buildings(session=session, source="bench", buildings=data.buildings)
            session.flush()
            t2 = time.perf_counter()
            write_roads(
                session=session, source="bench", nodes=data.nodes, stretches=data.stretches,
                out=out,
            )  # fmt: skip
        t3 = time.perf_counter()
        for key, value in (("parse", t1 - t0), ("buildings", t2 - t1), ("roads", t3 - t2)):
            best[key] = min(best.get(key, value), value)
        best["total"] = min(best.get("total", t3 - t0), t3 - t0)
    with session_scope(factory) as session:
        stored = session.scalar(text("SELECT count(*) FROM obstacles WHERE source = 'bench'"))
    engine.dispose()
    n, v, e = out.buildings, out.voxels, out.edges
    print(f"extract  {PBF.name}: {n} buildings, {v:,} voxels (z23), {out.boxes:,} leaf boxes, "
          f"{e:,} road edges, {out.nodes:,} nodes; best of {args.runs} runs")  # fmt: skip
    print(f"parse    {best['parse']:.2f} s  (buildings and ways with pyosmium)")
    print(f"build    {best['buildings']:.2f} s  {n / best['buildings']:,.0f} buildings/s  "
          f"{v / best['buildings']:,.0f} voxels/s  (cover, boxes, insert, lock)")  # fmt: skip
    print(f"roads    {best['roads']:.2f} s  {e / best['roads']:,.0f} road edges/s  "
          "(spatial IDs, insert)")  # fmt: skip
    print(f"total    {best['total']:.2f} s  {n / best['total']:,.0f} buildings/s end to end")
    assert stored == n


if __name__ == "__main__":
    main()
