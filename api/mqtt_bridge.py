"""The MQTT bridge: telemetry in from an MQTT broker, and every event out to it.

In: a fix (or a list of fixes) published as JSON on ``{prefix}/{operator_id}/{vehicle_id}/
telemetry`` is ingested as ``POST /v1/telemetry`` would for that operator, and the results
are published on the same topic plus ``/result``. The topic names the operator, so the
broker's access rules must let only that operator publish under ``{prefix}/{operator_id}/``.
Processes share one subscription (MQTT 5 ``$share``), so each message is ingested once.

Out: each event is published (QoS 1) on ``{prefix}/{operator_id}/events`` (an operator's)
or ``{prefix}/principals/{principal_id}/events`` (a principal's), in log order; the place
in the log is kept in the database, so a restart goes on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from api.event_schemas import CloudEventOut
from api.routers.telemetry import ingest_fixes
from api.settings import Settings
from api.telemetry_schemas import FixIn
from registry.models import Principal
from registry.services import outbound
from registry.services.datums import Converter
from registry.services.events import cursor_of, read_events

log = logging.getLogger("kukan.mqtt")
FEED = "mqtt"
LEASE_S = 30.0
PAGE = 500
_FIXES = TypeAdapter(list[FixIn])


class Bridge:
    """One MQTT connection: a shared subscription for telemetry, a publisher of events."""

    def __init__(
        self, settings: Settings, factory: sessionmaker[Session], altitudes: Converter
    ) -> None:
        self.settings, self.factory, self.altitudes = settings, factory, altitudes
        self.prefix = settings.mqtt_prefix
        self.policy = settings.telemetry_policy()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"kukan-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect (in the background, reconnecting by itself) and begin publishing."""
        url = urlsplit(self.settings.mqtt_url or "")
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        self.client.connect_async(url.hostname or "127.0.0.1", url.port or 1883)
        self.client.loop_start()
        self._task = asyncio.create_task(self._publish_loop(), name="kukan-mqtt-out")

    async def close(self) -> None:
        """Stop publishing and disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            log.warning("MQTT connect refused: %s", code)
            return
        client.subscribe(f"$share/kukan/{self.prefix}/+/+/telemetry", qos=1)

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/")
        if len(parts) != 4:
            return
        answer = self.ingest(parts[1], parts[2], msg.payload)
        client.publish(f"{msg.topic}/result", json.dumps(answer, default=str), qos=1)

    def ingest(self, operator: str, vehicle: str, payload: bytes | bytearray) -> dict[str, Any]:
        """The results of one message's fixes, or why the message was refused."""
        try:
            operator_id, vehicle_id = uuid.UUID(operator), uuid.UUID(vehicle)
            raw = json.loads(payload)
            items = raw if isinstance(raw, list) else [raw]
            if not 1 <= len(items) <= 1000:
                return {"error": "a message holds 1 to 1000 fixes"}
            fixes = _FIXES.validate_python(
                [
                    {**item, "vehicle_id": str(vehicle_id)}
                    for item in items
                    if isinstance(item, dict)
                ]
            )
        except ValueError as exc:  # a bad UUID, JSON or fix (ValidationError is one)
            detail = exc.errors()[:5] if isinstance(exc, ValidationError) else str(exc)
            return {"error": "not a fix or a list of fixes", "detail": detail}
        actor = Principal(id=uuid.uuid4(), role="operator", operator_id=operator_id, name="mqtt")
        try:
            with self.factory() as session, session.begin():
                results = ingest_fixes(session, actor, fixes, self.policy, self.altitudes)
        except Exception:  # the database is down, say: the sender may publish again
            log.exception("MQTT telemetry not stored")
            return {"error": "not stored; publish again"}
        return {"results": [r.as_dict() for r in results]}

    async def _publish_loop(self) -> None:
        while True:
            busy = False
            try:
                if self.client.is_connected():
                    busy = await asyncio.to_thread(self.publish_once)
            except Exception:
                log.exception("MQTT event publishing failed")
            if not busy:
                await asyncio.sleep(self.settings.events_poll_s)

    def publish_once(self) -> bool:
        """Publish the next events if this process holds the feed; True if there were some."""
        now = datetime.now(UTC)
        reader = Principal(id=uuid.uuid4(), role="admin", name="mqtt")
        with self.factory() as session, session.begin():
            cursor = outbound.lease(session, FEED, now=now, lease_s=LEASE_S)
            if cursor is None:
                return False
            page = read_events(
                session=session, actor=reader, after=cursor, limit=PAGE, skip_dropped=True
            )
            events = [(e, CloudEventOut.model_validate(e).model_dump_json()) for e in page.items]
        published = 0
        try:
            for event, body in events:
                if event.operator_id is not None:
                    topic = f"{self.prefix}/{event.operator_id}/events"
                else:
                    topic = f"{self.prefix}/principals/{event.principal_id}/events"
                info = self.client.publish(topic, body, qos=1)
                info.wait_for_publish(timeout=10)
                if not info.is_published():
                    break
                cursor = cursor_of(event)
                published += 1
            else:
                cursor = page.after if len(events) < PAGE else cursor
        finally:
            with self.factory() as session, session.begin():
                outbound.advance(session, FEED, cursor=cursor, published=published)
        return bool(events)
