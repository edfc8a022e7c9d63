"""The voxel arms on real PostGIS: flights planned and booked through Kukan inside one
transaction that is rolled back (the real book never sees them), flown, and judged by the
live conformance logic; a restriction over an origin makes that flight unplannable."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.models import Principal
from registry.services import restrictions
from simulation.demand import Scenario, generate
from simulation.voxel_book import claim_epoch, in_layers
from simulation.voxel_run import run_voxel_arm

AREA = (141.300, 38.500, 141.312, 38.509)  # about 1 km x 1 km, empty of other tests' data


def _scenario(**change: object) -> Scenario:
    base = {
        "bbox": AREA, "duration_s": 300, "demand_per_hour": 480, "trip_m": (300, 900),
        "band_m": (30, 150), "seed": 5,
    }  # fmt: skip
    return Scenario.model_validate({**base, **change})


def _timeless(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "booking_latency_ms"}


def _count(db: sessionmaker[Session], sql: str) -> int:
    with db() as s:
        return int(s.execute(text(sql)).scalar_one())


@pytest.mark.parametrize("arm", ["voxels-delay", "voxels"])
def test_flown_as_planned_every_flight_conforms_and_nothing_is_kept(
    arm: str, db_sessions: sessionmaker[Session]
) -> None:
    before = _count(db_sessions, "SELECT count(*) FROM reservations")
    sc = _scenario(lateral_sigma_m=0, vertical_sigma_m=0, speed_sigma_mps=0)
    got = run_voxel_arm(arm, sc, db_sessions)
    assert got["requested"] == len(generate(sc)) > 20
    assert got["accepted"] + got["rejected"] == got["requested"]
    assert got["accepted"] > 0.8 * got["requested"]
    assert got["conformance"] == 1.0
    assert 0 < got["reservation_efficiency"] < 1
    assert 0.5 < got["route_efficiency"] <= 1.0
    assert got["collision_proxy_events"] == 0
    assert _count(db_sessions, "SELECT count(*) FROM reservations") == before
    assert _count(db_sessions, "SELECT count(*) FROM operators WHERE name LIKE 'simulation %'") == 0


def test_flight_errors_cost_conformance_and_the_same_seed_gives_the_same_numbers(
    db_sessions: sessionmaker[Session],
) -> None:
    sc = _scenario(lateral_sigma_m=8, vertical_sigma_m=3)
    first = run_voxel_arm("voxels", sc, db_sessions)
    again = run_voxel_arm("voxels", sc, db_sessions)
    assert _timeless(first) == _timeless(again)
    assert 0.5 < first["conformance"] < 1.0


def test_a_restricted_origin_is_unplannable(
    db_sessions: sessionmaker[Session], make_key: Any
) -> None:
    sc = _scenario(demand_per_hour=240)
    first = generate(sc)[0]
    lng, lat = first.origin[0], first.origin[1]
    square = [[lng - 2e-4, lat - 2e-4], [lng + 2e-4, lat - 2e-4], [lng + 2e-4, lat + 2e-4],
              [lng - 2e-4, lat + 2e-4], [lng - 2e-4, lat - 2e-4]]  # fmt: skip
    key = make_key("municipality")
    with db_sessions() as session:
        actor = session.get(Principal, key.principal_id)
        assert actor is not None
        placed = restrictions.create_restriction(
            session=session, actor=actor, geometry={"type": "Polygon", "coordinates": [square]},
            altitude_lower=0, altitude_upper=300, reason="simulation test",
        )  # fmt: skip
        session.commit()
        rid = placed.restriction.id
    try:
        got = run_voxel_arm("voxels", sc, db_sessions)
        assert got["unplannable"] >= 1 and got["rejected"] >= got["unplannable"]
    finally:
        with db_sessions() as session:
            actor = session.get(Principal, key.principal_id)
            assert actor is not None
            restrictions.delete_restriction(session=session, actor=actor, restriction_id=rid)
            session.commit()


def test_heights_move_into_whole_voxel_layers() -> None:
    assert in_layers(140.0, (30.0, 150.0), 20) == 112.0  # 128-160 sticks out: into 96-128
    assert in_layers(31.0, (30.0, 150.0), 20) == 48.0
    assert in_layers(70.0, (30.0, 150.0), 20) == 70.0


def test_a_run_beside_another_takes_its_own_slot_and_the_same_numbers(
    db_sessions: sessionmaker[Session],
) -> None:
    sc = _scenario(demand_per_hour=300, seed=8)
    alone = run_voxel_arm("voxels", sc, db_sessions)
    with db_sessions() as other:  # another run holds the first slot until it ends
        epoch = claim_epoch(other)
        beside = run_voxel_arm("voxels", sc, db_sessions)
        with db_sessions() as third:
            assert claim_epoch(third) > epoch
        other.rollback()
    assert _timeless(alone) == _timeless(beside)
