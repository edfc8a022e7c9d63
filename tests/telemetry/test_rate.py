"""The rate check (a controlled clock, on a server without its own sweeper): a flight that
sends fewer fixes than the minimum rate over a window is told ``kukan.telemetry.slow``
once per episode; a window at the rate again ends the episode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.settings import Settings
from registry.services.conformance_sweep import sweep
from registry.services.telemetry_checks import TelemetryPolicy
from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.pgtools import serve
from tests.telemetry.helpers import flight, send

POLICY = TelemetryPolicy(min_rate_hz=5.0, rate_window_s=2.0, lost_after_s=60.0)


@pytest.fixture(scope="module")
def quiet(settings: Settings) -> Iterator[httpx.Client]:
    """A client of a server whose sweeper is off: this test's sweeps are the only ones."""
    with (
        serve(create_app(settings.model_copy(update={"conformance_sweep_s": 0}))) as base,
        httpx.Client(base_url=base, timeout=30) as c,
    ):
        yield c


def _sweep(factory: sessionmaker[Session], now: datetime) -> None:
    with factory() as session, session.begin():
        assert sweep(session, now=now, policy=POLICY) is not None


def test_slow_fixes_are_told_once_per_episode(
    quiet: httpx.Client, make_key: Callable[..., Key], db_sessions: sessionmaker[Session]
) -> None:
    me = make_key("operator")
    fl = flight(quiet, me)
    now = datetime.now(UTC)
    send(quiet, me, fl.fix(now))
    _, mark = drain(quiet, me)

    def slow_after(s: float) -> int:
        """Sweep at ``now + s``: how many times this flight has been told slow."""
        _sweep(db_sessions, now + timedelta(seconds=s))
        items, _ = drain(quiet, me, mark)
        return sum(e["type"] == "kukan.telemetry.slow" for e in items)

    assert slow_after(0) == 0  # the first window starts
    send(quiet, me, fl.fix(now + timedelta(seconds=1)), fl.fix(now + timedelta(seconds=2)))
    assert slow_after(3) == 1  # 2 fixes in 3 s
    assert slow_after(6) == 1  # still slow: not told again
    t = now + timedelta(seconds=6)
    send(quiet, me, *(fl.fix(t + timedelta(seconds=k / 10)) for k in range(1, 21)))
    assert slow_after(9) == 1  # 20 in 3 s: at the rate again
    send(quiet, me, fl.fix(now + timedelta(seconds=10)))
    assert slow_after(12) == 2  # a second episode
    items, _ = drain(quiet, me, mark)
    first = next(e for e in items if e["type"] == "kukan.telemetry.slow")["data"]
    assert first["reservation_id"] == fl.reservation["id"]
    assert first["rate_hz"] == pytest.approx(2 / 3, abs=0.01) and first["min_rate_hz"] == 5.0
