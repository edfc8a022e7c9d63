"""Live-operations cells of the access matrix: the event log and stream, telemetry,
webhooks (each principal its own) and re-plan proposals (their reservation's operator's)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.hardening.matrix_cases import Builder, World, operator_of, owned, position_body, veh
from tests.replans.helpers import pending_proposal

_HOOKS: dict[uuid.UUID, str] = {}
HOOK = {"url": "http://127.0.0.1:9/matrix"}


def hook_of(w: World, role: str, own: bool, fresh: bool = False) -> str:
    """A webhook of the caller itself (role none: operator A's), or of operator B.
    Webhooks belong to one principal: an admin has no view of another's either."""
    key = w.keys["operator" if role == "none" else role] if own else w.owner("operator", False)
    if fresh or key.principal_id not in _HOOKS:
        made = str(w.make(key, "/v1/webhooks", HOOK)["id"])
        if fresh:
            return made
        _HOOKS[key.principal_id] = made
    return _HOOKS[key.principal_id]


_REPLANS: dict[uuid.UUID, str] = {}


def replan_of(w: World, role: str, own: bool, fresh: bool = False) -> str:
    """A pending proposal of operator A's (own, for every role) or operator B's."""
    key = operator_of(w, role, own)
    if fresh or key.principal_id not in _REPLANS:
        made = str(pending_proposal(w.client, key, w.keys["admin"])["id"])
        if fresh:
            return made
        _REPLANS[key.principal_id] = made
    return _REPLANS[key.principal_id]


BUILDERS: dict[tuple[str, str], Builder] = {
    ("GET", "/v1/events"): lambda w, r, o: ("/v1/events", {}),
    ("GET", "/v1/events/stream"): lambda w, r, o: (
        "/v1/events/stream",
        {"params": {"timeout_s": 0}},  # what is there now, then the end
    ),
    ("POST", "/v1/webhooks"): lambda w, r, o: ("/v1/webhooks", {"json": HOOK}),
    ("GET", "/v1/webhooks"): lambda w, r, o: ("/v1/webhooks", {}),
    ("GET", "/v1/webhooks/{webhook_id}"): lambda w, r, o: (f"/v1/webhooks/{hook_of(w, r, o)}", {}),
    ("POST", "/v1/webhooks/{webhook_id}/enable"): lambda w, r, o: (
        f"/v1/webhooks/{hook_of(w, r, o)}/enable",
        {},
    ),
    ("POST", "/v1/webhooks/{webhook_id}/replay"): lambda w, r, o: (
        f"/v1/webhooks/{hook_of(w, r, o)}/replay",
        {"json": {}},
    ),
    ("DELETE", "/v1/webhooks/{webhook_id}"): lambda w, r, o: (
        f"/v1/webhooks/{hook_of(w, r, o, fresh=True)}",
        {},
    ),
    ("POST", "/v1/telemetry"): lambda w, r, o: (
        "/v1/telemetry",
        {"json": {"fixes": [{"vehicle_id": veh(w, r, o), **position_body()}]}},
    ),
    ("GET", "/v1/live/vehicles"): lambda w, r, o: (
        "/v1/live/vehicles",
        {"params": {"bbox": "139.76,35.68,139.77,35.69"}},
    ),
    ("GET", "/v1/replans"): lambda w, r, o: ("/v1/replans", {}),
    ("GET", "/v1/replans/{proposal_id}"): lambda w, r, o: (f"/v1/replans/{replan_of(w, r, o)}", {}),
    ("POST", "/v1/replans/{proposal_id}/accept"): lambda w, r, o: (
        f"/v1/replans/{replan_of(w, r, o, fresh=r in ('operator', 'fleet', 'admin'))}/accept",
        {},
    ),
    ("POST", "/v1/replans/{proposal_id}/decline"): lambda w, r, o: (
        f"/v1/replans/{replan_of(w, r, o, fresh=r in ('operator', 'fleet', 'admin'))}/decline",
        {},
    ),
}
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/events"): owned(401, 200, 200, 200, 200),  # each its own events
    ("GET", "/v1/events/stream"): owned(401, 200, 200, 200, 200),
    ("POST", "/v1/webhooks"): owned(401, 201, 201, 201, 201),  # each its own events
    ("GET", "/v1/webhooks"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/webhooks/{webhook_id}"): owned(
        401, (200, 404), (200, 404), (200, 404), (200, 404)
    ),
    ("POST", "/v1/webhooks/{webhook_id}/enable"): owned(
        401, (200, 404), (200, 404), (200, 404), (200, 404)
    ),
    ("POST", "/v1/webhooks/{webhook_id}/replay"): owned(
        401, (200, 404), (200, 404), (200, 404), (200, 404)
    ),
    ("DELETE", "/v1/webhooks/{webhook_id}"): owned(
        401, (204, 404), (204, 404), (204, 404), (204, 404)
    ),
    # a result per fix: who may report which vehicle is tests/telemetry's per-fix matrix
    ("POST", "/v1/telemetry"): owned(401, 200, 200, 200, 200),
    # each sees the vehicles it may watch (tests/webmap and tests/replans check which)
    ("GET", "/v1/live/vehicles"): owned(401, 200, 200, 200, 200),
    # a proposal is its reservation's operator's (operator and fleet keys of A), and an
    # admin's to see and decide; a municipality sees none and decides none
    ("GET", "/v1/replans"): owned(401, 200, 200, 200, 200),
    ("GET", "/v1/replans/{proposal_id}"): owned(401, (200, 404), (200, 404), 404, 200),
    ("POST", "/v1/replans/{proposal_id}/accept"): owned(401, (200, 404), (200, 404), 403, 200),
    ("POST", "/v1/replans/{proposal_id}/decline"): owned(401, (200, 404), (200, 404), 403, 200),
}
