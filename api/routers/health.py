"""Liveness and database health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    responses={503: {"description": "The database is unreachable; see Retry-After."}},
)
def health(request: Request) -> JSONResponse:
    """200 when the database answers, 503 with Retry-After while it does not."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        retry = str(request.app.state.settings.retry_after_s)
        body = {"status": "degraded", "database": "unreachable"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": retry})
    return JSONResponse({"status": "ok", "database": "ok"})
