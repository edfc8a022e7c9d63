"""Principals and their API keys: create, authenticate a bearer token, revoke."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from registry.models import OPERATOR_BOUND_ROLES, ApiKey, Operator, Principal, Role
from registry.services.integrity import integrity_as_domain


class IssuedKey(NamedTuple):
    """A new principal and its API key's token (shown only once, stored hashed)."""

    principal: Principal
    token: str


TOKEN_PREFIX = "kukan_"
PREFIX_LEN = 12
_TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (tokens carry 256 random bits, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh bearer token ``kukan_<43 url-safe characters>``."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_principal(
    *,
    session: Session,
    actor: Principal | None,
    name: str,
    role: Role | str,
    operator_id: uuid.UUID | None = None,
) -> IssuedKey:
    """Create a principal with one API key; return it and the token (shown only once)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only an admin may create principals")
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(Role)
        raise InvalidInput(f"role must be one of {roles}, got {role!r}", field="role") from None
    if role in OPERATOR_BOUND_ROLES and operator_id is None:
        raise InvalidInput(
            f"a principal with role {role.value!r} needs an operator", field="operator"
        )
    if operator_id is not None and session.get(Operator, operator_id) is None:
        raise NotFound(f"operator {operator_id} not found")
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    principal = Principal(name=name, role=role.value, operator_id=operator_id)
    with integrity_as_domain(session, what=f"principal {name!r}"):
        session.add(principal)
    token = create_key(session=session, principal=principal)
    return IssuedKey(principal, token)


def create_key(*, session: Session, principal: Principal) -> str:
    """Add an API key to ``principal`` and return its token."""
    token = new_token()
    key = ApiKey(principal_id=principal.id, prefix=token[:PREFIX_LEN], key_hash=hash_token(token))
    with integrity_as_domain(session, what="api key"):
        session.add(key)
    return token


def authenticate(*, session: Session, token: str) -> Principal:
    """Return the principal owning an active ``token``; raise Unauthenticated otherwise."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise Unauthenticated("the bearer token is malformed")
    row = session.execute(
        select(Principal, ApiKey.id, ApiKey.revoked_at, ApiKey.last_used_at)
        .join(ApiKey, ApiKey.principal_id == Principal.id)
        .where(ApiKey.key_hash == hash_token(token))
    ).first()  # one indexed lookup (key_hash is unique); nothing is cached across requests
    if row is None:
        raise Unauthenticated("the bearer token is unknown")
    principal, key_id, key_revoked_at, last_used_at = row
    if key_revoked_at is not None or principal.revoked_at is not None:
        raise Unauthenticated("the bearer token has been revoked")
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > _TOUCH_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
    return principal


def revoke_principal(*, session: Session, principal_id: uuid.UUID) -> Principal:
    """Revoke a principal and all its keys."""
    principal = session.get(Principal, principal_id)
    if principal is None:
        raise NotFound(f"principal {principal_id} not found")
    now = datetime.now(UTC)
    principal.revoked_at = principal.revoked_at or now
    session.execute(
        update(ApiKey)
        .where(ApiKey.principal_id == principal_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return principal


def revoke_token(*, session: Session, token: str) -> None:
    """Revoke the single key behind ``token``."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(token)))
    if key is None:
        raise NotFound("no such key")
    key.revoked_at = key.revoked_at or datetime.now(UTC)
    session.flush()
