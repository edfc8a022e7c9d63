"""RFC 9457 problem+json responses from one table of domain exceptions."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import anyio
import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from registry.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RegistryError,
    Unauthenticated,
)
from registry.services.occupancy import TooLarge
from routing import RoutingError
from spatialid import SpatialIdError

log = logging.getLogger("kukan.api")
PROBLEM = "application/problem+json"

STATUS_OF: dict[type[Exception], int] = {
    NotFound: 404,
    TooLarge: 413,
    Conflict: 409,
    Forbidden: 403,
    PreconditionFailed: 412,
    Gone: 410,
    PreconditionRequired: 428,
    InvalidInput: 422,
    Unauthenticated: 401,
    SpatialIdError: 422,
    RoutingError: 422,
    RegistryError: 400,
}
"""Domain exception -> HTTP status; the most specific class in an exception's MRO wins."""
TRANSIENT_SQLSTATES = ("40P01", "40001")
"""deadlock_detected, serialization_failure."""


class PayloadTooLarge(Exception):
    """A request would produce more results than the configured cap."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class PlanningUnavailable(Exception):
    """No planning worker could plan the request (it died, or all stayed busy): 503."""


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response with the standard members plus ``extra``."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def _status_of(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def _field_of(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


GONE_CLIENT = (anyio.BrokenResourceError, anyio.ClosedResourceError, ClientDisconnect)


def client_went_away(exc: BaseException) -> bool:
    """The error only says the client closed the connection (e.g. a stream's keep-alive
    writing after the client left), possibly as a group of such errors."""
    if isinstance(exc, BaseExceptionGroup):
        return all(client_went_away(e) for e in exc.exceptions)
    return isinstance(exc, GONE_CLIENT)


def install(app: FastAPI, *, retry_after_s: int) -> None:
    """Register every exception handler on ``app``."""

    async def domain(request: Request, exc: Exception) -> JSONResponse:
        status = _status_of(exc)
        extra: dict[str, Any] = {}
        field = getattr(exc, "field", None)
        if field:
            extra["errors"] = [{"field": field, "reason": str(exc)}]
        if isinstance(exc, RoutingError):
            extra["reason"] = getattr(exc, "reason", "invalid_route")
        extra.update(getattr(exc, "problem_extra", None) or {})
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(status, str(exc), headers=headers, **extra)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": _field_of(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem(422, f"invalid request: {fields}", errors=errors)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        allowed = allowed_methods(request) if exc.status_code == 405 else []
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        return problem(exc.status_code, detail, headers=headers)

    async def too_large(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PayloadTooLarge)
        return problem(413, str(exc), **exc.extra)

    async def planning(request: Request, exc: Exception) -> JSONResponse:
        return problem(503, str(exc), headers={"Retry-After": "1"})

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):  # still colliding after the retries of in_transaction
            log.warning("transaction rolled back (%s): answering 503", sqlstate(exc))
            return problem(
                503,
                "the request collided with concurrent ones and was rolled back; retry",
                headers={"Retry-After": "1"},
            )
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem(
            503,
            "the database is unreachable; retry later",
            headers={"Retry-After": str(retry_after_s)},
        )

    async def dbapi(request: Request, exc: Exception) -> JSONResponse:
        if _is_connection_error(exc):
            return await unavailable(request, exc)
        if isinstance(getattr(exc, "orig", None), psycopg.DataError):  # e.g. a NUL in text
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            return problem(422, f"a value cannot be stored: {reason}")
        return await unhandled(request, exc)

    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        if client_went_away(exc):  # a stream's client closed it: nothing to answer, no bug
            log.debug("client went away on %s %s", request.method, request.url.path)
            return problem(400, "the client closed the connection")  # never delivered
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal server error")

    for cls in STATUS_OF:
        app.add_exception_handler(cls, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(PayloadTooLarge, too_large)
    app.add_exception_handler(PlanningUnavailable, planning)
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(psycopg.OperationalError, unavailable)
    app.add_exception_handler(PoolTimeoutError, unavailable)
    app.add_exception_handler(DBAPIError, dbapi)
    app.add_exception_handler(Exception, unhandled)


def allowed_methods(request: Request) -> list[str]:
    """Every documented method at the request's path, from the app's OpenAPI paths.

    Starlette's ``Allow`` names only the first route whose path matches; a path served by
    several routes (``GET`` and ``POST /v1/vehicles``) needs them all.
    """
    app = request.app
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "allowed_methods", None
    )
    if table is None:
        table = []
        for template, ops in app.openapi()["paths"].items():
            parts = re.split(r"(\{[^}/]+\})", template)
            pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            table.append((re.compile(pattern), sorted(m.upper() for m in ops)))
        app.state.allowed_methods = table
    path = request.url.path
    return sorted({m for pattern, methods in table if pattern.fullmatch(path) for m in methods})


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error ('' when there is none)."""
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) or ""


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL rolled the whole transaction back,
    so the same work may simply run again."""
    return sqlstate(exc) in TRANSIENT_SQLSTATES


def _is_connection_error(exc: Exception) -> bool:
    """True for DB errors that mean 'the server is gone' (class 08, admin shutdown 57P01)."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or ""
    return bool(getattr(exc, "connection_invalidated", False)) or state[:2] in ("08", "57")
