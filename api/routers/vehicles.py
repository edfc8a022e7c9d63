"""Vehicles: register, list, read, update and retire one's own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PageDep, PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from api.schemas import Kind, Status
from api.vehicle_schemas import (
    RetiredVehicleOut,
    VehicleCreate,
    VehicleOut,
    VehiclePage,
    VehicleUpdate,
)
from registry.services import vehicles

router = APIRouter(
    prefix="/v1/vehicles",
    tags=["vehicles"],
    responses=problem_responses(401, 503),
)


@router.post(
    "",
    status_code=201,
    response_model=VehicleOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
def create_vehicle(body: VehicleCreate, session: SessionDep, me: PrincipalDep) -> object:
    """Register a vehicle; operator and fleet principals register for their own operator."""
    attrs = body.model_dump(exclude={"name", "kind", "max_speed_mps", "operator_id"})
    return vehicles.create_vehicle(
        session=session,
        actor=me,
        name=body.name,
        kind=body.kind,
        max_speed_mps=body.max_speed_mps,
        operator_id=body.operator_id,
        attrs=attrs,
    )


@router.get("", response_model=VehiclePage, responses=problem_responses(422))
def list_vehicles(
    session: SessionDep,
    me: PrincipalDep,
    paging: PageDep,
    kind: Kind | None = None,
    status: Status | None = None,
    operator_id: uuid.UUID | None = None,
    registration_mark: Annotated[
        str | None, Query(min_length=1, max_length=64, description="drones' registration mark")
    ] = None,
    remote_id: Annotated[
        str | None, Query(min_length=1, max_length=64, description="drones' Remote ID serial")
    ] = None,
    plate: Annotated[
        str | None, Query(min_length=1, max_length=64, description="cars' registration plate")
    ] = None,
) -> VehiclePage:
    """List one's vehicles, oldest first, with filters (identifiers compare in their stored
    form: uppercase, a plate single-spaced); follow ``next`` for more."""
    page = vehicles.list_vehicles(
        session=session,
        actor=me,
        kind=kind,
        status=status,
        operator_id=operator_id,
        carrying={
            "registration_mark": registration_mark,
            "remote_id": remote_id,
            "plate": plate,
        },
        limit=paging.limit,
        after=paging.after,
    )
    items = [VehicleOut.model_validate(v) for v in page.items]
    return VehiclePage(items=items, next=paging.next_link(page.after))


@router.get("/{vehicle_id}", response_model=VehicleOut, responses=problem_responses(404, 422))
def get_vehicle(vehicle_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One vehicle."""
    return vehicles.get_vehicle(session=session, actor=me, vehicle_id=vehicle_id)


@router.patch(
    "/{vehicle_id}",
    response_model=VehicleOut,
    responses=problem_responses(400, 403, 404, 409, 413, 422),
)
def update_vehicle(
    vehicle_id: uuid.UUID, body: VehicleUpdate, session: SessionDep, me: PrincipalDep
) -> object:
    """Change the fields present in the body."""
    changes = body.model_dump(exclude_unset=True)
    return vehicles.update_vehicle(
        session=session, actor=me, vehicle_id=vehicle_id, changes=changes
    )


def _retire(session: SessionDep, me: PrincipalDep, vehicle_id: uuid.UUID) -> RetiredVehicleOut:
    vehicle, cancelled = vehicles.retire_vehicle(session=session, actor=me, vehicle_id=vehicle_id)
    out = RetiredVehicleOut.model_validate(vehicle)
    out.cancelled_reservations = cancelled
    return out


@router.post(
    "/{vehicle_id}/retire",
    response_model=RetiredVehicleOut,
    responses=problem_responses(403, 404, 409, 422),
)
def retire_vehicle(
    vehicle_id: uuid.UUID, session: SessionDep, me: PrincipalDep
) -> RetiredVehicleOut:
    """Retire a vehicle (status ``retired``; it stays readable) and cancel its reservations
    that have not ended, in one transaction; `cancelled_reservations` lists them."""
    return _retire(session, me, vehicle_id)


@router.delete(
    "/{vehicle_id}",
    response_model=RetiredVehicleOut,
    responses=problem_responses(403, 404, 409, 422),
)
def delete_vehicle(
    vehicle_id: uuid.UUID, session: SessionDep, me: PrincipalDep
) -> RetiredVehicleOut:
    """Same as retire: vehicles are never erased, so their history stays."""
    return _retire(session, me, vehicle_id)
