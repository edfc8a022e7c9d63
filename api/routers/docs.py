"""The interactive API docs (``/docs``, ``/redoc``) with their assets served from ``/static``.

FastAPI's own pages load Swagger UI and ReDoc from a CDN; these load the copies vendored in
``api/static/vendor/`` (see its README), so the docs render offline.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER = "/static/vendor/swagger-ui-dist"
REDOC = "/static/vendor/redoc"
NO_FAVICON = "data:,"
"""No favicon request (FastAPI's default icon is on a remote site)."""
LOCAL_IMAGES = {"Content-Security-Policy": "img-src 'self' data:"}
"""ReDoc's sidebar shows a logo from its vendor's CDN; the browser is told not to fetch it."""


def install(app: FastAPI) -> None:
    """Add ``/docs`` and ``/redoc``; ``app`` must be built with ``docs_url=redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = root(request)
        page = get_swagger_ui_html(
            openapi_url=prefix + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{prefix}{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=NO_FAVICON,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        page.headers.update(LOCAL_IMAGES)
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        prefix = root(request)
        page = get_redoc_html(
            openapi_url=prefix + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{prefix}{REDOC}/redoc.standalone.js",
            redoc_favicon_url=NO_FAVICON,
            with_google_fonts=False,
        )
        page.headers.update(LOCAL_IMAGES)
        return page
