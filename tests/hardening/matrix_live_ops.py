"""Live-operations cells of the access matrix: the event log and stream, telemetry and
webhooks (each principal its own)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.hardening.matrix_cases import Builder, World, owned, position_body, veh

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
}
