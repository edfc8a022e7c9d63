"""Airways (drone corridors): admins and municipalities declare them; everyone reads them."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.airway_schemas import IMPORT_SCHEMA, AirwayImported, AirwayOut, AirwayPage
from api.deps import PageDep, PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from registry.errors import InvalidInput
from registry.models import Principal
from registry.services import airways

router = APIRouter(prefix="/v1/airways", tags=["airways"], responses=problem_responses(401, 503))


async def _json_body(request: Request) -> Any:
    """The body as JSON (``application/json``, or no content type, as FastAPI reads bodies)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise InvalidInput(f"the body must be application/json, not {kind}", field="body")
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("the body is not JSON", field="body") from None


ImportBody = Annotated[Any, Depends(_json_body)]


def _declarer(me: PrincipalDep) -> Principal:
    """The caller, if its role may declare airways: 403 before the body is read."""
    airways.check_may_declare(me)
    return me


DeclarerDep = Annotated[Principal, Depends(_declarer)]


@router.post(
    "",
    status_code=201,
    response_model=AirwayImported,
    responses=problem_responses(400, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": IMPORT_SCHEMA}},
        }
    },
)
def import_airways(me: DeclarerDep, body: ImportBody, session: SessionDep) -> AirwayImported:
    """Import airways from GeoJSON centre lines (a FeatureCollection or one Feature): all
    or none. Admins anywhere; a municipality only inside its jurisdiction (403 outside)."""
    parsed = airways.parse(body)
    items = airways.create_airways(session=session, actor=me, airways=parsed)
    return AirwayImported(items=[AirwayOut.model_validate(a) for a in items])


@router.get("", response_model=AirwayPage, responses=problem_responses(422))
def list_airways(
    session: SessionDep, me: PrincipalDep, paging: PageDep, mine: bool = False
) -> AirwayPage:
    """Airways, oldest first (``mine=true``: those one declared); follow ``next``."""
    page = airways.list_airways(
        session=session, mine=me if mine else None, limit=paging.limit, after=paging.after
    )
    items = [AirwayOut.model_validate(a) for a in page.items]
    return AirwayPage(items=items, next=paging.next_link(page.after))


@router.get("/{airway_id}", response_model=AirwayOut, responses=problem_responses(404, 422))
def get_airway(airway_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One airway."""
    return airways.get_airway(session=session, airway_id=airway_id)


@router.delete("/{airway_id}", response_model=AirwayOut, responses=problem_responses(403, 404, 422))
def delete_airway(airway_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> AirwayOut:
    """Remove an airway (admins; the municipality that declared it, inside its area)."""
    item = airways.delete_airway(session=session, actor=me, airway_id=airway_id)
    return AirwayOut.model_validate(item)
