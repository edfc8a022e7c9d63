"""Identification: municipalities and admins resolve an identifier or a voxel at an instant
to the vehicle, its operator and its reservation; the look-ups are on record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PageDep, PrincipalDep, SessionDep
from api.errors import problem
from api.identification_schemas import (
    SPATIAL_ID_PATTERN,
    IdentificationOut,
    LookupOut,
    LookupPage,
)
from api.problem_schemas import problem_responses
from api.schemas import Instant
from registry.services import identification

router = APIRouter(
    prefix="/v1/identify",
    tags=["identification"],
    responses=problem_responses(401, 503),
)


@router.get(
    "",
    response_model=IdentificationOut,
    responses=problem_responses(403, 404, 422),
)
def identify(
    session: SessionDep,
    me: PrincipalDep,
    identifier: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=r"\S",
            description="a registration mark, Remote ID serial or plate (any case)",
        ),
    ] = None,
    spatial_id: Annotated[
        str | None, Query(pattern=SPATIAL_ID_PATTERN, description="a voxel `z/f/x/y`")
    ] = None,
    at: Annotated[Instant | None, Query(description="the instant (default: now)")] = None,
) -> object:
    """Resolve an identifier seen in the air, or a voxel at an instant, to the vehicle, its
    operator and its reservation live then (municipalities: only inside their jurisdiction;
    outside, 403). Every look-up, found or not, is recorded."""
    found = identification.identify(
        session=session, actor=me, identifier=identifier, spatial_id=spatial_id, at=at
    )
    if found.refusal is not None:  # answered, not raised: the record of the look-up commits
        status = 404 if found.lookup.outcome == "not_found" else 403
        return problem(status, found.refusal, lookup_id=found.lookup.id)
    return IdentificationOut.of(found)


@router.get("/lookups", response_model=LookupPage, responses=problem_responses(403, 422))
def list_lookups(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    principal_id: uuid.UUID | None = None,
    vehicle_id: uuid.UUID | None = None,
) -> LookupPage:
    """The recorded look-ups, oldest first (admins: everyone's; a municipality: its own)."""
    page = identification.list_lookups(
        session=session,
        actor=me,
        principal_id=principal_id,
        vehicle_id=vehicle_id,
        limit=paging.limit,
        after=paging.after,
    )
    items = [LookupOut.model_validate(x) for x in page.items]
    return LookupPage(items=items, next=paging.next_link(page.after))
