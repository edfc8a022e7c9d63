"""A Python client generated from /openapi.json (openapi-python-client) drives a reservation
round trip against the served app, including a typed 409 problem."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import Key, unique
from tests.reservations.helpers import ids, spot

PACKAGE = "kukan_client"
CONFIG = """\
project_name_override: kukan-client
package_name_override: kukan_client
post_hooks: []
content_type_overrides:
  application/vnd.mapbox-vector-tile: application/octet-stream
"""


@pytest.fixture(scope="module")
def generated(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the live server's OpenAPI document, imported."""
    root = tmp_path_factory.mktemp("client")
    spec = root / "openapi.json"
    spec.write_text(json.dumps(httpx.get(f"{live_server}/openapi.json", timeout=30).json()))
    (root / "config.yaml").write_text(CONFIG)
    tool = Path(sys.executable).parent / "openapi-python-client"
    out = subprocess.run(
        [
            str(tool),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(root / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log
    assert "will not be generated" not in log, log  # every operation has its call
    assert "Unable to" not in log, log  # every schema has its model
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def mod(name: str) -> Any:
    """A module of the generated package."""
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_reservation_round_trip(
    generated: ModuleType, live_server: str, make_key: Callable[..., Key]
) -> None:
    models = mod("models")
    create_vehicle = mod("api.vehicles.create_vehicle")
    create_reservation = mod("api.reservations.create_reservation")
    get_reservation = mod("api.reservations.get_reservation")
    patch_reservation = mod("api.reservations.patch_reservation")

    me, rival = make_key("operator"), make_key("operator")
    client = generated.AuthenticatedClient(base_url=live_server, token=me.token, timeout=30)
    other = generated.AuthenticatedClient(base_url=live_server, token=rival.token, timeout=30)

    made = create_vehicle.sync_detailed(
        client=client,
        body=models.VehicleCreate(
            name=unique("gen"), kind=models.VehicleCreateKind.DRONE, max_speed_mps=12.0
        ),
    )
    assert made.status_code == 201, made.content
    vehicle = made.parsed
    assert isinstance(vehicle, models.VehicleOut) and vehicle.kind == models.VehicleOutKind.DRONE

    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    x, y = spot()
    volume = models.VolumeIn(spatial_ids=ids(x, y), time_start=t0, time_end=t0 + timedelta(hours=1))
    first = create_reservation.sync_detailed(
        client=client, body=models.ReservationCreate(volumes=[volume], vehicle_id=vehicle.id)
    )
    assert first.status_code == 201, first.content
    res = first.parsed
    assert isinstance(res, models.ReservationOut)
    assert res.state == models.ReservationOutState.ACCEPTED and res.vehicle_id == vehicle.id

    lost = create_reservation.sync_detailed(
        client=other, body=models.ReservationCreate(volumes=[volume])
    )
    assert lost.status_code == 409, lost.content
    problem = lost.parsed
    assert isinstance(problem, models.Problem), type(problem)
    assert problem.status == 409 and problem.conflicts
    conflict = problem.conflicts[0]
    assert isinstance(conflict, models.ConflictOut)
    assert conflict.kind == models.ConflictOutKind.RESERVATION
    assert set(conflict.spatial_ids) <= set(ids(x, y))
    assert conflict.time_start == t0  # a datetime, parsed by the client

    read = get_reservation.sync(client=client, reservation_id=res.id)
    assert isinstance(read, models.ReservationOut) and read.version == res.version

    cancelled = patch_reservation.sync_detailed(
        client=client,
        reservation_id=res.id,
        body=models.ReservationPatch(
            state=models.ReservationPatchState.CANCELLED, version=res.version
        ),
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.parsed.state == models.ReservationOutState.CANCELLED

    stale = patch_reservation.sync_detailed(
        client=client,
        reservation_id=res.id,
        body=models.ReservationPatch(state=models.ReservationPatchState.ENDED, version=res.version),
    )
    assert stale.status_code == 409 and isinstance(stale.parsed, models.Problem)
    assert not stale.parsed.conflicts  # a version or state conflict names no space

    again = create_reservation.sync_detailed(
        client=other, body=models.ReservationCreate(volumes=[volume])
    )
    assert again.status_code == 201, again.content  # the space is free once cancelled


def test_a_route_failure_has_a_typed_reason(
    generated: ModuleType, live_server: str, operator_key: Key
) -> None:
    models = mod("models")
    client = generated.AuthenticatedClient(
        base_url=live_server, token=operator_key.token, timeout=30
    )
    vehicle = mod("api.vehicles.create_vehicle").sync(
        client=client,
        body=models.VehicleCreate(
            name=unique("high"),
            kind=models.VehicleCreateKind.DRONE,
            max_speed_mps=10.0,
            altitude_lower_m=200.0,
        ),
    )
    r = mod("api.routes.plan_route").sync_detailed(
        client=client,
        body=models.RouteRequest(
            vehicle_id=vehicle.id,
            origin=models.Waypoint(lng=139.76, lat=35.68),
            destination=models.Waypoint(lng=139.77, lat=35.68),
            departure_time=datetime.now(UTC) + timedelta(hours=1),
        ),
    )
    assert r.status_code == 422 and isinstance(r.parsed, models.Problem)
    assert r.parsed.reason == models.ProblemReasonType0.OUTSIDE_ALTITUDE_BAND
