"""Restrictions: municipalities declare where no one may fly; everyone may read them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.altitudes import w84_band
from api.deps import AltitudesDep, PageDep, PrincipalDep, SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.reservation_schemas import (
    ReservationPage,
    RestrictionCreate,
    RestrictionOut,
    RestrictionPage,
    RestrictionPatch,
)
from api.routers.reservations import page_out
from api.schemas import geojson
from registry.services import restrictions

router = APIRouter(
    prefix="/v1/restrictions",
    tags=["restrictions"],
    responses=problem_responses(401, 503),
)


@router.post(
    "",
    status_code=201,
    response_model=RestrictionOut,
    responses=problem_responses(400, 403, 409, 413, 422),
)
def create_restriction(
    body: RestrictionCreate,
    session: SessionDep,
    me: PrincipalDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
) -> RestrictionOut:
    """Declare a restriction; the response lists active reservations now inside it.

    A band in `MSL` or `AGL` is stored as the `W84` band holding it over the whole area."""
    geometry = geojson(body.geometry)
    lower, upper = w84_band(
        session,
        altitudes,
        geometry,
        body.altitude_lower,
        body.altitude_upper,
        body.altitude_datum,
    )
    item, hit = restrictions.create_restriction(
        session=session,
        actor=me,
        geometry=geometry,
        altitude_lower=lower,
        altitude_upper=upper,
        reason=body.reason,
        time_start=body.time_start,
        time_end=body.time_end,
        zoom=body.zoom,
        max_voxels=settings.reservation_max_voxels,
    )
    out = RestrictionOut.model_validate(item)
    out.affected_reservations = hit
    return out


@router.get("", response_model=RestrictionPage, responses=problem_responses(422))
def list_restrictions(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    active: bool | None = None,
    mine: bool = False,
) -> RestrictionPage:
    """Restrictions, oldest first (``mine=true``: those one declared)."""
    page = restrictions.list_restrictions(
        session=session,
        active=active,
        mine=me if mine else None,
        limit=paging.limit,
        after=paging.after,
    )
    items = [RestrictionOut.model_validate(r) for r in page.items]
    return RestrictionPage(items=items, next=paging.next_link(page.after))


@router.get(
    "/{restriction_id}",
    response_model=RestrictionOut,
    responses=problem_responses(404, 422),
)
def get_restriction(restriction_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One restriction."""
    return restrictions.get_restriction(session=session, restriction_id=restriction_id)


@router.patch(
    "/{restriction_id}",
    response_model=RestrictionOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
def patch_restriction(
    restriction_id: uuid.UUID, body: RestrictionPatch, session: SessionDep, me: PrincipalDep
) -> RestrictionOut:
    """Change the reason, or lift / restore it (restoring reports reservations inside)."""
    item, hit = restrictions.update_restriction(
        session=session,
        actor=me,
        restriction_id=restriction_id,
        reason=body.reason,
        active=body.active,
    )
    out = RestrictionOut.model_validate(item)
    out.affected_reservations = hit if body.active else None
    return out


@router.delete(
    "/{restriction_id}",
    response_model=RestrictionOut,
    responses=problem_responses(403, 404, 409, 422),
)
def delete_restriction(restriction_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """Lift a restriction (it stays readable with active=false)."""
    return restrictions.delete_restriction(session=session, actor=me, restriction_id=restriction_id)


@router.get(
    "/{restriction_id}/affected-reservations",
    response_model=ReservationPage,
    responses=problem_responses(403, 404, 422),
)
def affected_reservations(
    restriction_id: uuid.UUID, session: SessionDep, me: PrincipalDep, paging: PageDep
) -> ReservationPage:
    """The live reservations this restriction holds for re-planning (any operator's),
    oldest first, each with `needs_replan_causes`: for the municipality that declared it
    and admins; 403 for anyone else."""
    page = restrictions.affected_reservations(
        session=session,
        actor=me,
        restriction_id=restriction_id,
        limit=paging.limit,
        after=paging.after,
    )
    return page_out(session, page, paging.next_link(page.after), me)
