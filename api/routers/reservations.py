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
from api.problem_schemas import problem_responses
from api.reservation_schemas import (
    Preempted,
    PreemptedBy,
    ReplanCauseOut,
    ReservationCreate,
    ReservationOut,
    ReservationPage,
    ReservationPatch,
    ReservationReplace,
    State,
    VolumeOut,
)
from api.schemas import Instant
from registry.errors import InvalidInput, NotFound, PreconditionRequired
from registry.models import Principal, Reservation
from registry.services import lifecycle, replace, reservation_reads, reservations

router = APIRouter(
    prefix="/v1/reservations",
    tags=["reservations"],
    responses=problem_responses(401, 503),
)


def cause_out(cause: lifecycle.Cause) -> ReplanCauseOut:
    """A recorded cause of re-planning as a response member."""
    key = "restriction_id" if cause.kind == "restriction" else "obstacle_id"
    return ReplanCauseOut.model_validate(
        {"kind": cause.kind, key: cause.blocker_id, "reason": cause.reason, "since": cause.since}
    )


def preempted_by(session: Session, me: Principal | None, res: Reservation) -> PreemptedBy | None:
    """What preempted ``res``; the preemptor's id only if ``me`` may read that reservation."""
    if res.preempted_at is None or res.preempted_by_priority is None:
        return None
    by = res.preempted_by_id
    if by is not None and (me is None or not me.is_admin):
        try:
            reservation_reads.get_reservation(session=session, actor=me, reservation_id=by)
        except NotFound:
            by = None
    return PreemptedBy(
        reservation_id=by,
        priority=res.preempted_by_priority,
        reason=res.preempted_by_reason,
        at=res.preempted_at,
    )


ETAG = re.compile(r'\s*(?:W/)?"?(\d{1,9})"?\s*')
"""One entity tag of ``If-Match``: a reservation's version, quoted or not (weak allowed)."""


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'the version (or ETag) the change is made against, e.g. `"1"`, or `*`; '
    "428 without it, 412 when the reservation has moved on",
    "schema": {
        "type": "string",
        "maxLength": 200,
        "pattern": r'^\s*(\*|(W/)?"?[0-9]{1,9}"?(\s*,\s*(W/)?"?[0-9]{1,9}"?)*)\s*$',
    },
}
"""``If-Match`` as the OpenAPI states it: required (read from the request, so that its
absence is a 428 rather than a validation error)."""


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
    causes: Sequence[lifecycle.Cause] | None = None,
    me: Principal | None = None,
) -> ReservationOut:
    """The response body of a reservation with its volumes and re-plan causes (read back
    unless given); state and flag as read now."""
    vols = (
        volumes
        if volumes is not None
        else reservation_reads.volumes_of(session=session, reservation_id=res.id)
    )
    flag = lifecycle.needs_replan(res)
    if causes is None:
        causes = (
            lifecycle.causes_by_reservation(session=session, reservation_ids=[res.id])[res.id]
            if res.needs_replan
            else []
        )
    return ReservationOut(
        id=res.id,
        principal_id=res.principal_id,
        operator_id=res.operator_id,
        vehicle_id=res.vehicle_id,
        priority=res.priority,
        state=lifecycle.effective_state(res),  # type: ignore[arg-type]
        version=res.version,
        needs_replan=flag,
        needs_replan_causes=[cause_out(c) for c in causes] if flag else [],
        reason=res.reason,
        preempted_by=preempted_by(session, me, res),
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

    A priority above the operator's grant is a 403 naming `max_priority`. Where the
    operator may preempt, a higher priority preempts lower-priority overlapping
    reservations (whole) in the same transaction; they record what preempted them.
    The same `Idempotency-Key` and body returns the first result again.
    """

    def work(session: Session, me: Principal) -> ReservationOut:
        volumes = [volume_request(session, altitudes, v, i) for i, v in enumerate(body.volumes)]
        made = reservations.create_reservation(
            session=session,
            actor=me,
            volumes=volumes,
            priority=body.priority,
            vehicle_id=body.vehicle_id,
            reason=body.reason,
            idempotency_key=idempotency_key,
            max_duration_s=settings.reservation_max_duration_s,
            max_voxels=settings.reservation_max_voxels,
        )
        preempted = Preempted(count=made.preempted_count, ids=made.preempted_ids)
        return reservation_out(
            session,
            made.reservation,
            None if made.replayed else preempted,
            made.volumes,
            me=me,
        )

    return await in_transaction(request, token, work)


@router.get("", response_model=ReservationPage, responses=problem_responses(422))
def list_reservations(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    bbox: OptionalBBoxDep,
    state: State | None = None,
    needs_replan: bool | None = None,
    time_start: Instant | None = None,
    time_end: Instant | None = None,
) -> ReservationPage:
    """One's reservations, oldest first, filtered by state (as read now: `ended` once the
    end has passed), `needs_replan`, time window and bbox."""
    page = reservation_reads.list_reservations(
        session=session,
        actor=me,
        state=state,
        needs_replan=needs_replan,
        time_start=time_start,
        time_end=time_end,
        bbox=bbox,
        limit=paging.limit,
        after=paging.after,
    )
    return page_out(session, page, paging.next_link(page.after), me)


def page_out(
    session: Session, page: Any, next_link: str | None, me: Principal | None
) -> ReservationPage:
    """A page of reservations with their volumes and causes, read in two queries."""
    ids = [r.id for r in page.items]
    vols = reservation_reads.volumes_by_reservation(session=session, reservation_ids=ids)
    flagged = [r.id for r in page.items if r.needs_replan]
    causes = lifecycle.causes_by_reservation(session=session, reservation_ids=flagged)
    return ReservationPage(
        items=[
            reservation_out(session, r, volumes=vols[r.id], causes=causes.get(r.id, []), me=me)
            for r in page.items
        ],
        next=next_link,
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
    res = reservation_reads.get_reservation(
        session=session, actor=me, reservation_id=reservation_id
    )
    response.headers["ETag"] = etag(res)
    return reservation_out(session, res, me=me)


@router.put(
    "/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(400, 403, 404, 409, 412, 413, 422, 428),
    openapi_extra={"parameters": [IF_MATCH]},
)
async def replace_reservation(
    reservation_id: uuid.UUID,
    body: ReservationReplace,
    request: Request,
    response: Response,
    token: TokenDep,
    settings: SettingsDep,
    altitudes: AltitudesDep,
) -> ReservationOut:
    """Replace the volumes atomically, keeping the id (and the slot until the new one is in).

    `If-Match` carries the version (or the `ETag`) the change is made against: 428 without
    it, 412 when the reservation has moved on. The new volumes are checked against
    everything but the reservation itself: 409 with `conflicts` on overlap, and the old
    volumes stay. The same volumes again answer 200 with the reservation as it is.
    """

    def work(session: Session, me: Principal) -> ReservationOut:
        # after authentication and the look-up: 401, then 404, before 428
        reservation_reads.get_reservation(session=session, actor=me, reservation_id=reservation_id)
        versions = if_match_versions(request.headers.get("if-match"))
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
    return reservation_out(session, res, me=me)


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
    return reservation_out(session, res, me=me)
