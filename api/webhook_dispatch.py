"""The API process's webhook dispatcher: leases due webhooks, delivers each one's events in
log order (one signed request per event, Standard Webhooks headers), and records the new
cursor, or the failure and when to try again. Every process runs one; leases keep a
webhook to one dispatcher at a time, and a dead dispatcher's lease runs out.

Delivery is at least once: a dispatcher that dies between a receiver's answer and the
record sends that event again, with the same ``webhook-id``, for the receiver to drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook as Signer

from api.event_schemas import CloudEventOut
from api.settings import Settings
from registry.models import Principal, Webhook
from registry.services import webhooks
from registry.services.events import cursor_of, read_events

log = logging.getLogger("kukan.webhooks")
LEASE_S = 60.0
PAGE = 100
"""Events read per turn of one webhook (a longer backlog takes more turns, at once)."""


class Dispatcher:
    """A task that delivers until closed."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)

    def start(self) -> None:
        """Begin delivering (nothing when ``webhook_poll_s`` is 0)."""
        if self.settings.webhook_poll_s > 0:
            self._task = asyncio.create_task(self._run(), name="kukan-webhooks")

    async def close(self) -> None:
        """Stop delivering."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._http.close()

    async def _run(self) -> None:
        while True:
            busy = False
            try:
                busy = await asyncio.to_thread(self.once)
            except Exception:  # a database restart, say: log it and try again next turn
                log.exception("webhook turn failed")
            if not busy:
                await asyncio.sleep(self.settings.webhook_poll_s)

    def once(self) -> bool:
        """Lease the due webhooks and give each a turn; True if any had events."""
        now = datetime.now(UTC)
        with self.factory() as session, session.begin():
            due = webhooks.claim_due(session, now=now, lease_s=LEASE_S, limit=20)
        return any([self.turn(webhook_id) for webhook_id in due])

    def turn(self, webhook_id: uuid.UUID) -> bool:
        """Deliver one webhook's next events; True if there were any."""
        with self.factory() as session, session.begin():
            hook = session.get(Webhook, webhook_id)
            if hook is None:
                return False
            principal = session.get(Principal, hook.principal_id)
            if principal is None or principal.revoked_at is not None:
                webhooks.record(
                    session,
                    webhook_id,
                    cursor=hook.cursor,
                    delivered=0,
                    status=None,
                    error=None,
                    retry_at=None,
                    disable="its principal was revoked",
                )
                return False
            page = read_events(
                session=session, actor=principal, after=hook.cursor, limit=PAGE, skip_dropped=True
            )
            url, secret, types, failures = hook.url, hook.secret, hook.types, hook.failures
            cursor = hook.cursor
            events = [(e, CloudEventOut.model_validate(e).model_dump_json()) for e in page.items]
        signer = Signer(secret)
        delivered, status, error, disable = 0, None, None, None
        failed = False
        for event, body in events:
            if types is None or event.type in types:
                status, error = self._post(url, signer, str(event.id), body)
                if status == 410:
                    disable, failed = "the receiver answered 410 Gone", True
                    break
                if status is None or not 200 <= status < 300:
                    failed = True
                    break
                delivered += 1
            cursor = cursor_of(event)
        if not failed:
            cursor = page.after if len(events) < PAGE else cursor
        retry_at = None
        if failed and disable is None:
            wait = min(
                self.settings.webhook_backoff_base_s * 2.0**failures,
                self.settings.webhook_backoff_max_s,
            )
            retry_at = datetime.now(UTC) + timedelta(seconds=wait * random.uniform(0.9, 1.1))
        with self.factory() as session, session.begin():
            webhooks.record(
                session,
                webhook_id,
                cursor=cursor,
                delivered=delivered,
                status=status,
                error=error,
                retry_at=retry_at,
                disable=disable,
            )
        return bool(events) and not failed

    def _post(
        self, url: str, signer: Signer, msg_id: str, body: str
    ) -> tuple[int | None, str | None]:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(msg_id, now, body),
        }
        try:
            r = self._http.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        return r.status_code, None if r.is_success else r.text[:500]
