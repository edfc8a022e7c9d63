"""Reservations: reserve 4D volumes conflict-free, read, list, change state and cancel."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from geoalchemy2.shape import to_shape
from geojson_pydantic import MultiPolygon
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from api.altitudes import volume_request
from api.bbox import OptionalBBoxDep
from api.deps import (
    AltitudesDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    TokenDep,
    in_transaction,
)
from api.reservation_schemas import (
    Preempted,
    ReservationCreate,
    ReservationOut,
    ReservationPage,
    ReservationPatch,
    ReservationReplace,
    State,
    VolumeOut,
)
from api.schemas import Instant, problem_responses
from registry.errors import InvalidInput, PreconditionRequired
from registry.models import Principal, Reservation
from registry.services import replace, reservations

router = APIRouter(
    prefix="/v1/reservations",
    tags=["reservations"],
    responses=problem_responses(401, 503),
)


ETAG = re.compile(r'\s*(?:W/)?"?(\d{1,9})"?\s*')
"""One entity tag of ``If-Match``: a reservation's version, quoted or not (weak allowed)."""


def etag(res: Reservation) -> str:
    """The entity tag of a reservation: its version, quoted."""
    return f'"{res.version}"'


def if_match_versions(value: str | None) -> set[int] | None:
    """The versions an ``If-Match`` accepts (``None`` for ``*``); 428 when it is absent."""
    if value is None or not value.strip():
        raise PreconditionRequired(
            'replacing a reservation needs If-Match with its version or ETag (e.g. If-Match: "1")'
        )
    if value.strip() == "*":
        return None
    out = set()
    for part in value.split(","):
        m = ETAG.fullmatch(part)
        if m is None:
            raise InvalidInput(
                f'If-Match must be a version or an ETag like "3", got {part.strip()!r}',
                field="If-Match",
            )
        out.add(int(m.group(1)))
    return out


def reservation_out(
    session: Session,
    res: Reservation,
    preempted: Preempted | None = None,
    volumes: Sequence[Any] | None = None,
) -> ReservationOut:
    """The response body of a reservation with its volumes (read back unless given)."""
    vols = (
        volumes
        if volumes is not None
        else reservations.volumes_of(session=session, reservation_id=res.id)
    )
    return ReservationOut(
        id=res.id,
        principal_id=res.principal_id,
        operator_id=res.operator_id,
        vehicle_id=res.vehicle_id,
        priority=res.priority,
        state=res.state,  # type: ignore[arg-type]
        version=res.version,
        needs_replan=res.needs_replan,
        time_start=res.time_start,
        time_end=res.time_end,
        footprint=(
            None
            if res.geometry is None
            else MultiPolygon.model_validate(mapping(to_shape(res.geometry)))
        ),
        volumes=[VolumeOut.model_validate(v) for v in vols],
        created_at=res.created_at,
        updated_at=res.updated_at,
        preempted=preempted,
    )


@router.post(
    "",
    status_code=201,
    response_model=ReservationOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
async def create_reservation(
    body: ReservationCreate,
    request: Request,
    token: TokenDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReservationOut:
    """Reserve the volumes atomically; 409 with `conflicts` when space and time are taken.

    A higher priority preempts lower-priority overlapping reservations in the same
    transaction. The same `Idempotency-Key` and body returns the first result again.
    """

    def work(session: Session, me: Principal) -> ReservationOut:
        volumes = [volume_request(session, altitudes, v, i) for i, v in enumerate(body.volumes)]
        made = reservations.create_reservation(
            session=session,
            actor=me,
            volumes=volumes,
            priority=body.priority,
            vehicle_id=body.vehicle_id,
            idempotency_key=idempotency_key,
            max_duration_s=settings.reservation_max_duration_s,
            max_voxels=settings.reservation_max_voxels,
        )
        preempted = Preempted(count=made.preempted_count, ids=made.preempted_ids)
        return reservation_out(
            session, made.reservation, None if made.replayed else preempted, made.volumes
        )

    return await in_transaction(request, token, work)


@router.get("", response_model=ReservationPage, responses=problem_responses(422))
def list_reservations(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    bbox: OptionalBBoxDep,
    state: State | None = None,
    time_start: Instant | None = None,
    time_end: Instant | None = None,
) -> ReservationPage:
    """One's reservations, oldest first, filtered by state, time window and bbox."""
    page = reservations.list_reservations(
        session=session,
        actor=me,
        state=state,
        time_start=time_start,
        time_end=time_end,
        bbox=bbox,
        limit=paging.limit,
        after=paging.after,
    )
    vols = reservations.volumes_by_reservation(
        session=session, reservation_ids=[r.id for r in page.items]
    )
    return ReservationPage(
        items=[reservation_out(session, r, volumes=vols[r.id]) for r in page.items],
        next=paging.next_link(page.after),
    )


@router.get(
    "/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(404, 422),
)
def get_reservation(
    reservation_id: uuid.UUID, session: SessionDep, me: PrincipalDep, response: Response
) -> ReservationOut:
    """One reservation with its volumes; `ETag` is its version (for `If-Match` on PUT)."""
    res = reservations.get_reservation(session=session, actor=me, reservation_id=reservation_id)
    response.headers["ETag"] = etag(res)
    return reservation_out(session, res)


@router.put(
    "/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(400, 403, 404, 409, 412, 413, 422, 428),
)
async def replace_reservation(
    reservation_id: uuid.UUID,
    body: ReservationReplace,
    request: Request,
    response: Response,
    token: TokenDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description='the version (or ETag) the change is made against, e.g. `"1"`; '
            "required (428 without it)",
        ),
    ] = None,
) -> ReservationOut:
    """Replace the volumes atomically, keeping the id (and the slot until the new one is in).

    `If-Match` carries the version (or the `ETag`) the change is made against: 428 without
    it, 412 when the reservation has moved on. The new volumes are checked against
    everything but the reservation itself: 409 with `conflicts` on overlap, and the old
    volumes stay. The same volumes again answer 200 with the reservation as it is.
    """

    def work(session: Session, me: Principal) -> ReservationOut:
        # after authentication and the look-up: 401, then 404, before 428
        reservations.get_reservation(session=session, actor=me, reservation_id=reservation_id)
        versions = if_match_versions(if_match)
        volumes = [volume_request(session, altitudes, v, i) for i, v in enumerate(body.volumes)]
        done = replace.replace_reservation(
            session=session,
            actor=me,
            reservation_id=reservation_id,
            volumes=volumes,
            expected_versions=versions,
            max_duration_s=settings.reservation_max_duration_s,
            max_voxels=settings.reservation_max_voxels,
        )
        return reservation_out(session, done.reservation, volumes=done.volumes)

    out = await in_transaction(request, token, work)
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.patch(
    "/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
def patch_reservation(
    reservation_id: uuid.UUID, body: ReservationPatch, session: SessionDep, me: PrincipalDep
) -> ReservationOut:
    """Change the state (accepted→activated→ended, or cancelled); 409 on a stale version."""
    res = reservations.change_state(
        session=session,
        actor=me,
        reservation_id=reservation_id,
        state=body.state,
        version=body.version,
    )
    return reservation_out(session, res)


@router.delete(
    "/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(403, 404, 409, 422),
)
def cancel_reservation(
    reservation_id: uuid.UUID, session: SessionDep, me: PrincipalDep
) -> ReservationOut:
    """Cancel: the space is free again at once."""
    res = reservations.cancel_reservation(session=session, actor=me, reservation_id=reservation_id)
    return reservation_out(session, res)
