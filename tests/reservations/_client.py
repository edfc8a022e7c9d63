"""A light module for client processes (imports httpx only, so spawning is quick)."""

from __future__ import annotations

import time
from typing import Any

import httpx


def warm(_: int) -> int:
    """Touch the worker so the pool is up before the burst."""
    return 0


def post(job: tuple[str, str, int, dict[str, Any], float]) -> tuple[int, int, float]:
    """POST one reservation at ``start`` (a shared wall-clock instant); return its status."""
    base, token, cell, body, start = job
    with httpx.Client(base_url=base, timeout=60) as c:
        c.get("/health")
        time.sleep(max(0.0, start - time.time()))
        t = time.perf_counter()
        r = c.post("/v1/reservations", headers={"Authorization": f"Bearer {token}"}, json=body)
    return cell, r.status_code, time.perf_counter() - t
