"""Webhooks over real HTTP both ways: each principal's own events, signed per Standard
Webhooks, in log order; a receiver down gets its backlog in order when it is back; 410
disables; enable and replay; who may see which webhook."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from registry.errors import InvalidInput
from registry.services.webhooks import check_url
from tests.conftest import Key
from tests.events.test_event_log import drain
from tests.reservations.helpers import created, ids, reserve, spot, volume
from tests.webhooks.receiver import Receiver


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def hook(client: httpx.Client, key: Key, url: str, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/webhooks", headers=key.headers, json={"url": url, **body})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def book(client: httpx.Client, key: Key) -> str:
    x, y = spot()
    return str(created(reserve(client, key, volume(ids(x, y, 2))))["id"])


def wait_state(
    client: httpx.Client, key: Key, hid: str, ok: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    until = time.monotonic() + 30
    while time.monotonic() < until:
        state: dict[str, Any] = client.get(f"/v1/webhooks/{hid}", headers=key.headers).json()
        if ok(state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"webhook never reached the state: {state}")


def test_events_arrive_signed_in_order_and_only_the_owner_s(
    client: httpx.Client, make_key: Callable[..., Key], receiver: Receiver
) -> None:
    me, other = make_key("operator"), make_key("operator")
    created_hook = hook(client, me, receiver.url)
    assert created_hook["secret"].startswith("whsec_") and created_hook["active"]
    book(client, other)  # not mine: never delivered
    mine = [book(client, me) for _ in range(3)]
    got = receiver.wait_for(3)
    time.sleep(0.5)  # nothing more comes
    assert [e["subject"] for e in receiver.events()] == mine
    assert {e["type"] for e in got} == {"kukan.reservation.created"}
    verifier = Verifier(created_hook["secret"])
    for headers, body in receiver.got:
        verifier.verify(body, headers)  # raises when the signature does not match
    assert [h["webhook-id"] for h, _ in receiver.got] == [e["id"] for e in got]
    with pytest.raises(Exception):  # noqa: B017  (any verification error)
        Verifier(created_hook["secret"]).verify(receiver.got[0][1] + b" ", receiver.got[0][0])
    listed = client.get("/v1/webhooks", headers=me.headers).json()
    assert [w["id"] for w in listed] == [created_hook["id"]] and "secret" not in listed[0]
    assert (
        client.get(f"/v1/webhooks/{created_hook['id']}", headers=other.headers).status_code == 404
    )
    assert (
        client.delete(f"/v1/webhooks/{created_hook['id']}", headers=other.headers).status_code
        == 404
    )
    assert client.get("/v1/webhooks", headers=other.headers).json() == []


def test_a_receiver_down_gets_its_backlog_in_order_when_it_is_back(
    client: httpx.Client, operator_key: Key, receiver: Receiver
) -> None:
    _, mark = drain(client, operator_key)
    h = hook(client, operator_key, receiver.url)
    receiver.stop()
    subjects = [book(client, operator_key) for _ in range(12)]
    wait_state(client, operator_key, h["id"], lambda s: s["failures"] >= 3)
    assert receiver.got == []
    receiver.start()
    began = time.monotonic()
    got = receiver.wait_for(12)
    assert time.monotonic() - began < 60
    assert [e["subject"] for e in got] == subjects
    log = drain(client, operator_key, mark)[0]
    assert [e["id"] for e in got] == [e["id"] for e in log]  # the log's order, each once
    state = wait_state(client, operator_key, h["id"], lambda s: s["failures"] == 0)
    assert state["delivered"] == 12 and state["last_status"] == 204


def test_410_disables_enable_resumes_and_replay_sends_again(
    client: httpx.Client, make_key: Callable[..., Key], receiver: Receiver
) -> None:
    # a key of its own: a replay from the log's start then holds only this test's events
    operator_key = make_key("operator")
    h = hook(client, operator_key, receiver.url, types=["kukan.reservation.created"])
    first = book(client, operator_key)
    receiver.wait_for(1)
    receiver.status = 410
    second = book(client, operator_key)
    state = wait_state(client, operator_key, h["id"], lambda s: not s["active"])
    assert "410" in state["disabled_reason"]
    receiver.status = 204
    r = client.post(f"/v1/webhooks/{h['id']}/enable", headers=operator_key.headers)
    assert r.status_code == 200 and r.json()["active"]
    assert [e["subject"] for e in receiver.wait_for(2)] == [first, second]
    r = client.post(f"/v1/webhooks/{h['id']}/replay", headers=operator_key.headers, json={})
    assert r.status_code == 200
    again = receiver.wait_for(4)
    assert [e["subject"] for e in again[2:]] == [first, second]  # the same events again
    assert again[2]["id"] == again[0]["id"]
    bad = client.post(
        f"/v1/webhooks/{h['id']}/replay", headers=operator_key.headers, json={"after": "nope"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "after"
    assert client.delete(f"/v1/webhooks/{h['id']}", headers=operator_key.headers).status_code == 204
    assert client.get(f"/v1/webhooks/{h['id']}", headers=operator_key.headers).status_code == 404


def test_bad_receivers_are_refused(client: httpx.Client, operator_key: Key) -> None:
    for url in ("ftp://example.com/x", "not a url", "http://user:pw@example.com/"):
        r = client.post("/v1/webhooks", headers=operator_key.headers, json={"url": url})
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["field"] == "body.url"
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.1/x", "http://[::1]/x", "http://localhost/"):
        with pytest.raises(InvalidInput, match="not a public address"):
            check_url(url, allow_private=False)
    assert client.post("/v1/webhooks", json={"url": "http://example.com/"}).status_code == 401
