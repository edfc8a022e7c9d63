"""Operators: admins create and list; every principal reads its own."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import PageDep, PrincipalDep, SessionDep
from api.schemas import OperatorCreate, OperatorOut, OperatorPage, problem_responses
from registry.errors import NotFound
from registry.services import operators

router = APIRouter(
    prefix="/v1/operators",
    tags=["operators"],
    responses=problem_responses(401, 503),
)


@router.post(
    "",
    status_code=201,
    response_model=OperatorOut,
    responses=problem_responses(400, 403, 409, 413, 422),
)
def create_operator(body: OperatorCreate, session: SessionDep, me: PrincipalDep) -> object:
    """Create an operator (admin only)."""
    return operators.create_operator(session=session, actor=me, name=body.name)


@router.get("", response_model=OperatorPage, responses=problem_responses(422))
def list_operators(session: SessionDep, me: PrincipalDep, paging: PageDep) -> OperatorPage:
    """List operators by name: all for admins, one's own for everyone else."""
    page = operators.list_operators(
        session=session, actor=me, limit=paging.limit, after=paging.after
    )
    items = [OperatorOut.model_validate(o) for o in page.items]
    return OperatorPage(items=items, next=paging.next_link(page.after))


@router.get("/me", response_model=OperatorOut, responses=problem_responses(404))
def my_operator(session: SessionDep, me: PrincipalDep) -> object:
    """The caller's own operator (404 for principals without one)."""
    if me.operator_id is None:
        raise NotFound("this principal belongs to no operator")
    return operators.get_operator(session=session, actor=me, operator_id=me.operator_id)


@router.get("/{operator_id}", response_model=OperatorOut, responses=problem_responses(404, 422))
def get_operator(operator_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One operator (admins: any; others: only their own)."""
    return operators.get_operator(session=session, actor=me, operator_id=operator_id)
