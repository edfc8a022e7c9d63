"""The MQTT bridge against the machine's real broker (Mosquitto on 127.0.0.1:1883): fixes
published per operator and vehicle are ingested and answered on ``/result``; events are
published per operator, in log order."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest

from api.app import create_app
from api.settings import Settings
from tests.conftest import Key
from tests.pgtools import serve
from tests.telemetry.helpers import flight, vehicle

BROKER = ("127.0.0.1", 1883)


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"kukantest{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def bridged(settings: Settings, prefix: str) -> Iterator[str]:
    """A server with the bridge on, under a topic prefix no other run uses."""
    app = create_app(
        settings.model_copy(update={"mqtt_url": "mqtt://127.0.0.1:1883", "mqtt_prefix": prefix})
    )
    with serve(app) as base:
        yield base


class Listener:
    """A broker client of the test's own: what arrives on the topics it subscribed to."""

    def __init__(self, *topics: str) -> None:
        self.got: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.seen: list[tuple[str, Any]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect(*BROKER)
        for topic in topics:
            self.client.subscribe(topic, qos=1)
        self.client.loop_start()
        time.sleep(0.3)  # subscribed

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.got.put((msg.topic, json.loads(msg.payload)))
        except ValueError:  # e.g. the bad message the test itself published
            self.got.put((msg.topic, msg.payload))

    def next(self, topic_end: str, timeout: float = 10.0) -> tuple[str, Any]:
        """The first message not taken yet on a topic ending so (others stay for later)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            while not self.got.empty():
                self.seen.append(self.got.get())
            for k, (topic, body) in enumerate(self.seen):
                if topic.endswith(topic_end):
                    del self.seen[k]
                    return topic, body
            time.sleep(0.05)
        raise AssertionError(f"nothing on *{topic_end} within {timeout} s")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_fixes_published_per_vehicle_are_ingested_and_answered(
    bridged: str, prefix: str, make_key: Callable[..., Key]
) -> None:
    me, other = make_key("operator"), make_key("operator")
    with httpx.Client(base_url=bridged, timeout=30) as client:
        fl = flight(client, me)
        theirs = vehicle(client, other)
        listener = Listener(f"{prefix}/{me.operator_id}/#")
        try:
            now = datetime.now(UTC)
            fixes = [fl.fix(now - timedelta(seconds=2)), fl.fix(now - timedelta(seconds=1), 1)]
            body = [{k: v for k, v in f.items() if k != "vehicle_id"} for f in fixes]
            topic = f"{prefix}/{me.operator_id}/{fl.vehicle_id}/telemetry"
            listener.client.publish(topic, json.dumps(body), qos=1)
            _, answer = listener.next(f"{fl.vehicle_id}/telemetry/result")
            assert [r["status"] for r in answer["results"]] == ["accepted", "accepted"]
            assert answer["results"][1]["conformance"] == "activated"
            latest = client.get(f"/v1/vehicles/{fl.vehicle_id}/position", headers=me.headers)
            assert datetime.fromisoformat(latest.json()["time"]) == now - timedelta(seconds=1)

            # the topic names the operator: another's vehicle under it is refused
            listener.client.publish(
                f"{prefix}/{me.operator_id}/{theirs}/telemetry", json.dumps(body[0])
            )
            _, answer = listener.next(f"{theirs}/telemetry/result")
            assert answer["results"][0]["reason"] == "vehicle_not_found"
            listener.client.publish(topic, b"not json")
            _, answer = listener.next(f"{fl.vehicle_id}/telemetry/result")
            assert answer["error"] == "not a fix or a list of fixes"

            # events: the operator's, on its topic (the flight's activation among them)
            types: list[str] = []
            while "kukan.conformance.activated" not in types:
                _, event = listener.next("/events")
                types.append(event["type"])
            assert event["data"]["vehicle_id"] == fl.vehicle_id
            assert types[-1] == "kukan.conformance.activated"
        finally:
            listener.close()


def test_events_are_published_on_the_operator_s_topic_in_order(
    bridged: str, prefix: str, operator_key: Key
) -> None:
    listener = Listener(f"{prefix}/{operator_key.operator_id}/events")
    try:
        with httpx.Client(base_url=bridged, timeout=30) as client:
            made = [flight(client, operator_key).reservation["id"] for _ in range(3)]
        seen = []
        while len(seen) < 3:
            _, event = listener.next("/events")
            if event["type"] == "kukan.reservation.created":
                seen.append(event["subject"])
        assert seen == made
    finally:
        listener.close()
