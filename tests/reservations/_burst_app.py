"""The app for the burst test: the real app, with room to run every request of the burst
at once (threads as well as database connections), so they can all wait together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings

THREADS = 100
"""Worker threads of each process (Starlette's default is 40, fewer than one burst)."""


def app() -> FastAPI:
    """``uvicorn --factory tests.reservations._burst_app:app``: settings from ``KUKAN_*``."""
    made = create_app(Settings())
    inner = made.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        async with inner(a):
            yield

    made.router.lifespan_context = lifespan
    return made
