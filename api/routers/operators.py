"""Operators: admins create and list, and set priority grants; every principal reads its own."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.authority_schemas import GrantIn, GrantOut
from api.deps import PageDep, PrincipalDep, SessionDep
from api.problem_schemas import problem_responses
from api.schemas import OperatorCreate, OperatorOut, OperatorPage
from registry.errors import NotFound
from registry.models import Operator
from registry.services import authority, operators

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


def _grant(operator: Operator) -> GrantOut:
    return GrantOut(
        operator_id=operator.id,
        max_priority=operator.max_priority,
        may_preempt=operator.may_preempt,
    )


@router.get("/{operator_id}/grant", response_model=GrantOut, responses=problem_responses(404, 422))
def get_grant(operator_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> GrantOut:
    """The operator's priority grant (admins: any; others: their own operator's)."""
    return _grant(authority.get_grant(session=session, actor=me, operator_id=operator_id))


@router.put(
    "/{operator_id}/grant",
    response_model=GrantOut,
    responses=problem_responses(400, 403, 404, 413, 422),
)
def put_grant(
    operator_id: uuid.UUID, body: GrantIn, session: SessionDep, me: PrincipalDep
) -> GrantOut:
    """Set the highest priority the operator may book at and whether it may preempt
    (admin only). Ordinary operators have ``max_priority`` 0 and no preemption."""
    return _grant(
        authority.set_grant(
            session=session,
            actor=me,
            operator_id=operator_id,
            max_priority=body.max_priority,
            may_preempt=body.may_preempt,
        )
    )
