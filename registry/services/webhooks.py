"""Webhooks: register, list, re-enable and replay a principal's receivers; the
dispatcher's side (claim the due ones, record what a delivery did)."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Principal, Webhook
from registry.services.events import decode_cursor, encode_cursor, end_cursor

MAX_PER_PRINCIPAL = 10
MAX_TYPES = 50


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form (``whsec_`` + base64 key)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def check_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL with a host; loopback, private and link-local addresses only when
    allowed (a receiver must not be a way into the server's own network)."""
    if len(url) > 2000:
        raise InvalidInput("url is longer than 2000 characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"url is not a URL: {exc}", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an http:// or https:// URL with a host", field="url")
    if parts.username or parts.password:
        raise InvalidInput("url must not carry credentials", field="url")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InvalidInput(f"url's host {parts.hostname!r} does not resolve", field="url") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise InvalidInput(
                f"url's host resolves to {address}, which is not a public address", field="url"
            )
    return url


def create_webhook(
    *,
    session: Session,
    actor: Principal,
    url: str,
    types: Sequence[str] | None,
    allow_private: bool,
) -> Webhook:
    """Register a receiver of ``actor``'s events from now on."""
    check_url(url, allow_private=allow_private)
    if types is not None and not (1 <= len(types) <= MAX_TYPES):
        raise InvalidInput(f"types must hold 1 to {MAX_TYPES} event types", field="types")
    count = session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.principal_id == actor.id)
    )
    if (count or 0) >= MAX_PER_PRINCIPAL:
        raise Conflict(f"a principal may have at most {MAX_PER_PRINCIPAL} webhooks")
    hook = Webhook(
        id=uuid.uuid4(),
        principal_id=actor.id,
        url=url,
        secret=new_secret(),
        types=sorted(set(types)) if types else None,
        cursor=end_cursor(session),
    )
    session.add(hook)
    session.flush()
    return hook


def list_webhooks(*, session: Session, actor: Principal) -> list[Webhook]:
    """The caller's webhooks, oldest first."""
    query = select(Webhook).where(Webhook.principal_id == actor.id)
    return list(session.scalars(query.order_by(Webhook.created_at, Webhook.id)))


def get_webhook(*, session: Session, actor: Principal, webhook_id: uuid.UUID) -> Webhook:
    """One of the caller's webhooks (another's is NotFound)."""
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.principal_id != actor.id:
        raise NotFound(f"webhook {webhook_id} not found")
    return hook


def delete_webhook(*, session: Session, actor: Principal, webhook_id: uuid.UUID) -> None:
    """Stop and forget a webhook."""
    session.delete(get_webhook(session=session, actor=actor, webhook_id=webhook_id))
    session.flush()


def enable_webhook(*, session: Session, actor: Principal, webhook_id: uuid.UUID) -> Webhook:
    """Deliver again (after a 410 disabled it): from where it stopped, at once."""
    hook = get_webhook(session=session, actor=actor, webhook_id=webhook_id)
    hook.active, hook.disabled_reason, hook.failures = True, None, 0
    hook.next_attempt_at = session.scalar(select(func.now()))  # type: ignore[assignment]
    session.flush()
    return hook


def replay_webhook(
    *, session: Session, actor: Principal, webhook_id: uuid.UUID, after: str | None
) -> Webhook:
    """Deliver again every event after cursor ``after`` (None: from the log's start)."""
    hook = get_webhook(session=session, actor=actor, webhook_id=webhook_id)
    start = decode_cursor(after) if after is not None else (0, 0)
    hook.cursor = encode_cursor(*start)
    hook.failures = 0
    hook.next_attempt_at = session.scalar(select(func.now()))  # type: ignore[assignment]
    session.flush()
    return hook


def claim_due(session: Session, *, now: datetime, lease_s: float, limit: int) -> list[uuid.UUID]:
    """Lease up to ``limit`` active webhooks due now to this dispatcher (none leased by
    another whose lease still runs)."""
    rows = session.execute(
        text(
            """
            UPDATE webhooks SET leased_until = :until
            WHERE id IN (
                SELECT id FROM webhooks
                WHERE active AND next_attempt_at <= :now
                  AND (leased_until IS NULL OR leased_until < :now)
                ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ),
        {"now": now, "until": now + timedelta(seconds=lease_s), "limit": limit},
    )
    return [row[0] for row in rows]


def record(
    session: Session,
    webhook_id: uuid.UUID,
    *,
    cursor: str,
    delivered: int,
    status: int | None,
    error: str | None,
    retry_at: datetime | None,
    disable: str | None = None,
) -> None:
    """What a turn did: the new cursor, and on failure when to try again (or why the
    webhook is now disabled); the lease ends."""
    values: dict[str, object] = {
        "cursor": cursor,
        "delivered": Webhook.delivered + delivered,
        "leased_until": None,
    }
    if status is not None or error is not None:  # an attempt was made: keep its outcome
        values.update(last_status=status, last_error=error)
    if disable is not None:
        values.update(active=False, disabled_reason=disable)
    elif retry_at is not None:
        values.update(failures=Webhook.failures + 1, next_attempt_at=retry_at)
    else:
        values.update(failures=0)
    session.execute(update(Webhook).where(Webhook.id == webhook_id).values(**values))
