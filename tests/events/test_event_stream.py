"""The event stream over real HTTP: Server-Sent Events that arrive within a second, carry
their cursor as ``id`` and resume from ``Last-Event-ID`` with nothing skipped or repeated."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.reservations.helpers import created, ids, reserve, spot, volume

Received = list[tuple[float, dict[str, Any]]]


def read_stream(
    base: str, key: Key, out: Received, opened: threading.Event, **params: Any
) -> httpx.Response:
    """Read ``/v1/events/stream`` to its end: each event with its arrival time in ``out``
    (its ``id`` as ``_id``); ``opened`` is set once the headers are in."""
    with httpx.Client(base_url=base, timeout=30) as c:
        headers = {**key.headers, **params.pop("headers", {})}
        with c.stream("GET", "/v1/events/stream", headers=headers, params=params) as r:
            opened.set()
            if r.status_code != 200:
                r.read()
                return r
            event: dict[str, Any] = {}
            for line in r.iter_lines():
                if line.startswith("id: "):
                    event["_id"] = line[4:]
                elif line.startswith("data: "):
                    event.update(json.loads(line[6:]))
                elif not line and event:
                    out.append((time.monotonic(), event))
                    event = {}
            return r


def in_thread(base: str, key: Key, **params: Any) -> tuple[threading.Thread, Received]:
    """Start :func:`read_stream` in a thread; return once its headers are in."""
    out: Received = []
    opened = threading.Event()
    t = threading.Thread(target=read_stream, args=(base, key, out, opened), kwargs=params)
    t.start()
    assert opened.wait(10), "the stream did not open"
    return t, out


def test_an_event_reaches_the_stream_within_a_second_and_a_reconnect_goes_on_from_it(
    client: httpx.Client, live_server: str, make_key: Callable[..., Key]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    t, got = in_thread(live_server, me, timeout_s=4)
    t_other, theirs = in_thread(live_server, other, timeout_s=4)
    x, y = spot()
    res = created(reserve(client, me, volume(ids(x, y, 3))))
    booked = time.monotonic()
    until = booked + 3
    while not got and time.monotonic() < until:
        time.sleep(0.02)
    assert got, "no event on the stream"
    arrived, first = got[0]
    assert arrived - booked < 1.0, arrived - booked
    assert first["type"] == "kukan.reservation.created" and first["subject"] == res["id"]
    assert first["specversion"] == "1.0" and first["data"]["reservation_id"] == res["id"]
    assert client.delete(f"/v1/reservations/{res['id']}", headers=me.headers).status_code == 200
    t.join(10)
    t_other.join(10)
    assert [e["type"] for _, e in got] == [
        "kukan.reservation.created",
        "kukan.reservation.cancelled",
    ]
    assert theirs == []  # another operator hears nothing of it
    # a reconnect after the first event gets the second only; the ids are the log's cursors
    again: Received = []
    r = read_stream(
        live_server,
        me,
        again,
        threading.Event(),
        timeout_s=0,
        headers={"Last-Event-ID": first["_id"]},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert [e["id"] for _, e in again] == [got[1][1]["id"]]
    paged, _ = drain(client, me, f"/v1/events?after={first['_id']}")
    assert [e["id"] for e in paged] == [got[1][1]["id"]]  # the same cursor as the pages'


def test_the_stream_from_a_cursor_replays_the_backlog_and_closes_on_time(
    client: httpx.Client, live_server: str, make_key: Callable[..., Key]
) -> None:
    me = make_key("operator")
    _, start = drain(client, me)
    x, y = spot()
    made = [created(reserve(client, me, volume(ids(x, y + k, 2))))["id"] for k in range(3)]
    cursor = start.split("after=")[1].split("&")[0]
    began = time.monotonic()
    out: Received = []
    r = read_stream(live_server, me, out, threading.Event(), after=cursor, timeout_s=0.5)
    assert r.status_code == 200
    assert [e["subject"] for _, e in out] == made
    assert 0.4 < time.monotonic() - began < 5


def test_a_stream_needs_a_key_and_a_cursor_of_the_log(live_server: str, operator_key: Key) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as c:
        assert c.get("/v1/events/stream").status_code == 401
        r = c.get("/v1/events/stream", headers={**operator_key.headers, "Last-Event-ID": "nope"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Last-Event-ID", r.text
        r = c.get("/v1/events/stream", headers=operator_key.headers, params={"after": "nope"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "after", r.text
        r = c.get("/v1/events/stream", headers=operator_key.headers, params={"timeout_s": -1})
        assert r.status_code == 422, r.text
