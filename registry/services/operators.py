"""Operators: the organisations that own vehicles."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import Forbidden, InvalidInput, NotFound
from registry.models import Operator, Principal
from registry.services.integrity import integrity_as_domain
from registry.services.paging import Page, keyset_page


def create_operator(*, session: Session, actor: Principal | None, name: str) -> Operator:
    """Create an operator; only admins (or a trusted local caller, ``actor=None``) may."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only an admin may create operators")
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    operator = Operator(name=name)
    with integrity_as_domain(session, what=f"operator {name!r}"):
        session.add(operator)
    return operator


def get_operator(*, session: Session, actor: Principal | None, operator_id: uuid.UUID) -> Operator:
    """Return an operator visible to ``actor`` (admins see all, others only their own)."""
    if actor is not None and not actor.is_admin and actor.operator_id != operator_id:
        raise NotFound(f"operator {operator_id} not found")
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"operator {operator_id} not found")
    return operator


def list_operators(
    *, session: Session, actor: Principal | None, limit: int = 100, after: str | None = None
) -> Page[Operator]:
    """List operators by name; admins see all, others only their own."""
    query = select(Operator)
    if actor is not None and not actor.is_admin:
        query = query.where(Operator.id == actor.operator_id)
    keys = (Operator.name, Operator.id)
    return keyset_page(session=session, query=query, keys=keys, limit=limit, after=after)


def any_operator_exists(*, session: Session) -> bool:
    """True when at least one operator is registered."""
    return session.scalar(select(Operator.id).limit(1)) is not None
