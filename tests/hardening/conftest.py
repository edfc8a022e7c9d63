"""Hardening fixtures: module-wide principals of each role and a session-wide schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.services import operators, principals
from tests.conftest import WORLD, Key, add_authority


def new_key(
    sessions: sessionmaker[Session],
    role: str,
    operator_id: uuid.UUID | None = None,
    *,
    jurisdiction: dict[str, object] | None = WORLD,
    max_priority: int = 0,
    may_preempt: bool = False,
) -> Key:
    """A principal of ``role`` (operator/fleet get a fresh operator unless given one); a
    municipality governs the whole world unless given a ``jurisdiction``."""
    with session_scope(sessions) as session:
        if role in ("operator", "fleet") and operator_id is None:
            operator_id = operators.create_operator(
                session=session, actor=None, name=f"hard-{uuid.uuid4().hex[:10]}"
            ).id
        principal, token = principals.create_principal(
            session=session,
            actor=None,
            name=f"hard-{role}-{uuid.uuid4().hex[:10]}",
            role=role,
            operator_id=operator_id,
        )
        add_authority(
            session,
            principal,
            jurisdiction=jurisdiction,
            max_priority=max_priority,
            may_preempt=may_preempt,
        )
        return Key(principal.id, role, operator_id, token)


@pytest.fixture(scope="module")
def keys(db_sessions: sessionmaker[Session]) -> dict[str, Key]:
    """One principal per role, made once per module."""
    return {r: new_key(db_sessions, r) for r in ("operator", "fleet", "municipality", "admin")}


@pytest.fixture(scope="module")
def client_m(live_server: str) -> Iterator[httpx.Client]:
    """A module-wide client."""
    with httpx.Client(base_url=live_server, timeout=30) as c:
        yield c
