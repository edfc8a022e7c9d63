"""``kukan route``: a summary line on success, one error line and exit 1 on failure."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.cli import main
from registry.db import session_scope
from registry.services import vehicles
from tests.routes.helpers import offset, place


@pytest.fixture
def route_args(
    database_url: str,
    db_sessions: sessionmaker[Session],
    make_operator: Callable[[], uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[str], tuple[float, float]]:
    """``kukan route`` arguments for a new drone 250 m east at 60 m, and the destination."""
    monkeypatch.setenv("KUKAN_DATABASE_URL", database_url)
    with session_scope(db_sessions) as s:
        vid = vehicles.create_vehicle(
            session=s,
            actor=None,
            name="cli-drone",
            kind="drone",
            max_speed_mps=12.0,
            operator_id=make_operator(),
        ).id
    a = place()
    b = offset(*a, 250.0, 0.0)
    return [
        "route",
        "--vehicle",
        str(vid),
        "--from",
        f"{a[0]},{a[1]},60",
        "--to",
        f"{b[0]},{b[1]},60",
        "--depart",
        "2031-05-01T10:00:00Z",
    ], b


def test_route_prints_a_summary_and_errors_in_one_line(
    route_args: tuple[list[str], tuple[float, float]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args, b = route_args
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("route: drone z23, ") and "spatial IDs" in out
    assert "departure 2031-05-01T10:00:00.000Z" in out
    assert main([*args[:-2], "--depart", "2031-05-01T10:00:00", "--reserve"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("kukan: error:")
    assert main([*args[:5], "--to", f"{b[0]},{b[1]},900"]) == 1
    assert "outside_altitude_band" in capsys.readouterr().err


def test_route_takes_a_clearance(
    route_args: tuple[list[str], tuple[float, float]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args, _ = route_args
    assert main([*args, "--clearance", "5"]) == 0
    assert capsys.readouterr().out.startswith("route: drone z23, ")
    with pytest.raises(SystemExit) as info:
        main([*args, "--clearance", "-3"])
    assert info.value.code == 2
    assert "--clearance: must be metres in 0..100" in capsys.readouterr().err
