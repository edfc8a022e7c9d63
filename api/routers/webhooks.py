"""Webhooks: the caller's receivers of its events (signed per Standard Webhooks)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.problem_schemas import problem_responses
from api.webhook_schemas import ReplayIn, WebhookCreatedOut, WebhookIn, WebhookOut
from registry.services import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["events"], responses=problem_responses(401, 503))


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreatedOut,
    responses=problem_responses(400, 409, 413, 422),
)
def create_webhook(
    body: WebhookIn, session: SessionDep, me: PrincipalDep, settings: SettingsDep
) -> object:
    """Deliver the caller's events from now on to `url`: one POST per event, in log order,
    with the Standard Webhooks headers (`webhook-id` = the event id, `webhook-timestamp`,
    `webhook-signature`). A failure is retried with back-off and later events wait behind
    it; a 410 answer disables the webhook. The secret is shown only in this answer."""
    return webhooks.create_webhook(
        session=session,
        actor=me,
        url=body.url,
        types=body.types,
        allow_private=settings.webhook_allow_private,
    )


@router.get("", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, me: PrincipalDep) -> object:
    """The caller's webhooks."""
    return webhooks.list_webhooks(session=session, actor=me)


@router.get("/{webhook_id}", response_model=WebhookOut, responses=problem_responses(404, 422))
def get_webhook(webhook_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """One of the caller's webhooks, with how its deliveries go."""
    return webhooks.get_webhook(session=session, actor=me, webhook_id=webhook_id)


@router.delete("/{webhook_id}", status_code=204, responses=problem_responses(404, 422))
def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> Response:
    """Stop delivering and forget the webhook."""
    webhooks.delete_webhook(session=session, actor=me, webhook_id=webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/enable", response_model=WebhookOut, responses=problem_responses(404, 422)
)
def enable_webhook(webhook_id: uuid.UUID, session: SessionDep, me: PrincipalDep) -> object:
    """Deliver again, at once, from where the webhook stopped (after a 410 or a pause)."""
    return webhooks.enable_webhook(session=session, actor=me, webhook_id=webhook_id)


@router.post(
    "/{webhook_id}/replay",
    response_model=WebhookOut,
    responses=problem_responses(400, 404, 413, 422),
)
def replay_webhook(
    webhook_id: uuid.UUID, body: ReplayIn, session: SessionDep, me: PrincipalDep
) -> object:
    """Deliver again every event after `after` (the caller's events only, in order)."""
    return webhooks.replay_webhook(
        session=session, actor=me, webhook_id=webhook_id, after=body.after
    )
