"""PostgisOccupancy (planning.postgis_occupancy) against a plain reference: the rows of one
SQL row per stored box, clipped by PostgreSQL range intersection and expanded voxel by
voxel in Python, must equal what the packed, numpy-clipped reading returns."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from planning.postgis_occupancy import PostgisOccupancy
from registry.models import LEAF_ZOOM
from registry.services import authority, operators, principals, restrictions
from registry.services.reservations import VolumeRequest, create_reservation
from routing.occupancy import TileBox
from spatialid import lnglat_to_voxel
from tests.conftest import WORLD, unique
from tests.routes.helpers import offset, place
from tests.routes.test_drone_routes import square

Z = 23
_REF = """SELECT lower(b.x * p.x), upper(b.x * p.x), lower(b.y * p.y), upper(b.y * p.y),
    lower(b.f * p.f), upper(b.f * p.f),
    coalesce(extract(epoch FROM lower(b.during))::float8, '-Infinity'),
    coalesce(extract(epoch FROM upper(b.during))::float8, 'Infinity')
    FROM {table} b, (SELECT int4range(:x0, :x1) AS x, int4range(:y0, :y1) AS y,
        int4range(:f0, :f1) AS f) p
    WHERE b.active AND b.x && p.x AND b.y && p.y AND b.f && p.f AND {where}"""
_PERMANENT = (
    "coalesce(NOT isfinite(lower(b.during)), true) "
    "AND coalesce(NOT isfinite(upper(b.during)), true)"
)


def _reference(
    session: Session,
    table: str,
    where: str,
    z: int,
    box: TileBox,
    f: tuple[int, int],
    params: dict[str, Any] | None = None,
) -> list[tuple[int, int, int, float, float]]:
    """Voxels at ``z`` of the stored boxes meeting the box, one per (box, voxel), sorted."""
    k = LEAF_ZOOM - z
    probe = {
        "x0": box.x0 << k,
        "x1": box.x1 << k,
        "y0": box.y0 << k,
        "y1": box.y1 << k,
        "f0": f[0],
        "f1": f[1],
        **(params or {}),
    }
    out = []
    for x0, x1, y0, y1, f0, f1, t0, t1 in session.execute(
        text(_REF.format(table=table, where=where)), probe
    ):
        for ff in range(f0 >> k, ((f1 - 1) >> k) + 1):
            for xx in range(x0 >> k, ((x1 - 1) >> k) + 1):
                for yy in range(y0 >> k, ((y1 - 1) >> k) + 1):
                    out.append((ff, xx, yy, t0, t1))
    return sorted(out)


def _rows(r: Any) -> list[tuple[int, int, int, float, float]]:
    return sorted(
        zip(r.f.tolist(), r.x.tolist(), r.y.tolist(), r.start.tolist(), r.end.tolist(), strict=True)
    )


def test_packed_rows_equal_the_row_by_row_reference(db_sessions: sessionmaker[Session]) -> None:
    lng, lat = place()
    a = lnglat_to_voxel(lng, lat, 50.0, Z)
    t0 = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=123457)
    t1 = t0 + timedelta(seconds=97, microseconds=654321)
    session = db_sessions()
    try:
        op = operators.create_operator(session=session, actor=None, name=unique("op"))
        actor, _ = principals.create_principal(
            session=session, actor=None, name=unique("o"), role="operator", operator_id=op.id
        )
        town, _ = principals.create_principal(
            session=session, actor=None, name=unique("m"), role="municipality"
        )
        authority.set_jurisdiction(
            session=session, actor=None, principal_id=town.id, geometry=WORLD
        )
        # an L of voxels three layers high and a lone voxel: boxes the probe cuts through
        ids = [
            f"{Z}/{a.f + df}/{a.x + dx}/{a.y + dy}"
            for df in range(3)
            for dx in range(8)
            for dy in range(2)
        ]
        ids += [f"{Z}/{a.f + df}/{a.x + 7}/{a.y + dy}" for df in range(3) for dy in range(2, 6)]
        ids.append(f"{Z}/{a.f + 1}/{a.x + 3}/{a.y + 9}")
        create_reservation(
            session=session,
            actor=actor,
            volumes=[VolumeRequest(spatial_ids=ids, time_start=t0, time_end=t1)],
        )
        temp = offset(lng, lat, 40.0, 0.0)
        restrictions.create_restriction(
            session=session,
            actor=town,
            geometry=square(*temp, 12.0),
            altitude_lower=30.0,
            altitude_upper=70.0,
            reason="crane",
            time_start=t0,
            time_end=t1,
        )
        restrictions.create_restriction(
            session=session,
            actor=town,
            geometry=square(*offset(lng, lat, -40.0, 0.0), 12.0),
            altitude_lower=0.0,
            altitude_upper=90.0,
            reason="mast",
        )
        session.flush()
        now = t0.timestamp() - 60.0
        occ = PostgisOccupancy(session, now=now, horizon=3600.0)
        banded = PostgisOccupancy(session, now=now, horizon=3600.0, alt_band=(44.0, 60.0))
        inf = (-(1 << LEAF_ZOOM), 1 << LEAF_ZOOM)
        window = {
            "t0": datetime.fromtimestamp(now, UTC),
            "t1": datetime.fromtimestamp(now + 3600.0, UTC),
        }
        busy = (
            "b.during && tstzrange(:t0, :t1)",
            f"b.during && tstzrange(:t0, :t1) AND NOT ({_PERMANENT})",
        )
        for z in (21, 23, 25):

            def at_z(v: int, z: int = z) -> int:
                return v >> (Z - z) if z <= Z else v << (z - Z)

            # cuts through the L, holds the restrictions 40 m east and (wide) west
            box = TileBox(at_z(a.x + 3), at_z(a.y - 40), at_z(a.x + 40), at_z(a.y + 8))
            wide = TileBox(at_z(a.x - 40), box.y0, box.x1, box.y1)
            for view, band in ((occ, inf), (banded, (44, 60))):
                want = sorted(
                    _reference(session, "reservation_boxes", busy[0], z, box, band, window)
                    + _reference(session, "blocker_boxes", busy[1], z, box, band, window)
                )
                got = _rows(view.busy_in(z, box, -math.inf, math.inf))
                assert got == want and len(want) > 0, z
                static = _reference(session, "blocker_boxes", _PERMANENT, z, wide, band)
                vs = view.blocked_static(z, wide)
                assert sorted(vs) == sorted({(z, f, x, y) for f, x, y, _, _ in static})
                assert len(vs) > 0
                assert sorted(view.restricted_static(z, wide)) == sorted(vs)
            # one voxel's intervals: the reservation's exact window (microseconds kept)
            v = lnglat_to_voxel(lng, lat, 50.0, z)
            assert occ.busy_intervals(v) == [(t0.timestamp(), t1.timestamp())]
        assert not occ.busy_in(Z, TileBox(a.x + 100, a.y, a.x + 101, a.y + 1), 0, math.inf).f.size
    finally:
        session.rollback()
        session.close()
