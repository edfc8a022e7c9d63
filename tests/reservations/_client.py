"""A light module for client processes (imports httpx only, so spawning is quick)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


def warm(_: int) -> int:
    """Touch the worker so the pool is up before the burst."""
    return 0


def post_all(jobs: list[tuple[str, str, int, dict[str, Any]]]) -> list[tuple[int, int]]:
    """POST every reservation of ``jobs`` at once, one connection each; ``(cell, status)``."""

    def post(job: tuple[str, str, int, dict[str, Any]]) -> tuple[int, int]:
        base, token, cell, body = job
        with httpx.Client(base_url=base, timeout=120) as c:
            r = c.post("/v1/reservations", headers={"Authorization": f"Bearer {token}"}, json=body)
        return cell, r.status_code

    with ThreadPoolExecutor(max_workers=len(jobs)) as threads:
        return list(threads.map(post, jobs))
