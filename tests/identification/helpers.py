"""Helpers for identification tests: fresh identifiers and vehicles that carry them."""

from __future__ import annotations

import random
import string
from typing import Any

import httpx

from tests.conftest import Key

CTA = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The characters of a CTA-2063-A serial number (no O, no I)."""


def mark() -> str:
    """A fresh registration mark: JU and 10 letters or digits."""
    return "JU" + "".join(random.choices(string.ascii_uppercase + string.digits, k=10))


def remote_id(n: int = 12) -> str:
    """A fresh CTA-2063-A serial number with a serial part of ``n`` (1..15) characters."""
    return (
        "".join(random.choices(CTA, k=4))
        + "123456789ABCDEF"[n - 1]
        + "".join(random.choices(CTA, k=n))
    )


def plate() -> str:
    """A fresh plate in the Japanese form."""
    return (
        f"品川 300 あ {random.randrange(10, 99)}-{random.randrange(10, 99)}{random.randrange(100)}"
    )


def vehicle(client: httpx.Client, key: Key, **body: Any) -> httpx.Response:
    """POST a vehicle (a drone unless ``kind`` is given)."""
    full = {"name": "ident", "kind": "drone", "max_speed_mps": 10, **body}
    return client.post("/v1/vehicles", headers=key.headers, json=full)


def made(r: httpx.Response) -> dict[str, Any]:
    """The body of a 201."""
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def refused(r: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The problem body of a refusal naming ``field`` (its reason non-empty)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    named = {e["field"].rsplit(".", 1)[-1]: e["reason"] for e in body["errors"]}
    assert named.get(field), body
    return body
