"""Principals: the jurisdiction of a municipality (the area it governs), set by an admin."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.authority_schemas import JurisdictionIn, JurisdictionOut
from api.deps import PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from api.schemas import geojson
from registry.services import authority

router = APIRouter(
    prefix="/v1/principals",
    tags=["principals"],
    responses=problem_responses(401, 503),
)


@router.get(
    "/{principal_id}/jurisdiction",
    response_model=JurisdictionOut,
    responses=problem_responses(404, 422),
)
def get_jurisdiction(
    principal_id: uuid.UUID, session: SessionDep, me: PrincipalDep
) -> JurisdictionOut:
    """The area the principal governs (admins: anyone's; others: their own)."""
    p = authority.get_jurisdiction(session=session, actor=me, principal_id=principal_id)
    return JurisdictionOut.of(p.id, p.jurisdiction)


@router.put(
    "/{principal_id}/jurisdiction",
    response_model=JurisdictionOut,
    responses=problem_responses(400, 403, 404, 413, 422),
)
def put_jurisdiction(
    principal_id: uuid.UUID, body: JurisdictionIn, session: SessionDep, me: PrincipalDep
) -> JurisdictionOut:
    """Set the area a municipality governs, or clear it with `null` (admin only).

    A municipality declares and changes restrictions only inside it, and sees who
    occupies the space only for reservations meeting it."""
    geometry = None if body.geometry is None else geojson(body.geometry)
    p = authority.set_jurisdiction(
        session=session, actor=me, principal_id=principal_id, geometry=geometry
    )
    return JurisdictionOut.of(p.id, p.jurisdiction)
