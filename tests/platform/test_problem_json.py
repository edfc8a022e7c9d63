"""Every error is RFC 9457 problem+json and leaks no internals."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Key


def _problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert "type" in body and "detail" in body
    assert "Traceback" not in r.text
    return body


def test_unknown_route_is_404(client: httpx.Client) -> None:
    _problem(client.get("/no/such/route"), 404)


def test_wrong_method_is_405(client: httpx.Client) -> None:
    _problem(client.put("/health"), 405)


def test_malformed_json_is_422(client: httpx.Client, operator_key: Key) -> None:
    r = client.post(
        "/v1/vehicles",
        headers={**operator_key.headers, "content-type": "application/json"},
        content=b"{not json",
    )
    body = _problem(r, 422)
    assert body["errors"]


def test_body_of_wrong_type_is_422(client: httpx.Client, operator_key: Key) -> None:
    r = client.post("/v1/vehicles", headers=operator_key.headers, json=[1, 2])
    body = _problem(r, 422)
    assert body["errors"]


def test_domain_errors_map_to_statuses(client: httpx.Client, operator_key: Key) -> None:
    _problem(
        client.get(
            "/v1/vehicles/8a7b7c1e-0000-4000-8000-000000000000", headers=operator_key.headers
        ),
        404,
    )
    _problem(client.post("/v1/operators", headers=operator_key.headers, json={"name": "n"}), 403)
    _problem(client.get("/v1/vehicles"), 401)


def test_openapi_and_docs(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/vehicles" in spec["paths"]
    assert "/v1/spatial-ids/cover" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200


def test_unhandled_error_is_500_without_internals(settings: object) -> None:
    from api.app import create_app
    from tests.pgtools import serve

    app = create_app(settings)  # type: ignore[arg-type]

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with serve(app) as base:
        r = httpx.get(f"{base}/boom")
    body = _problem(r, 500)
    assert "secret" not in r.text
    assert body["detail"] == "internal server error"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/restrictions/00000000-0000-0000-0000-000000000001", {"active": 0}, "body.active"),
        ("/v1/spatial-ids/cover", {"geometry": {"type": "Point", "coordinates": [139.7, 35.6]},
          "zoom": 20, "altitude_lower": False, "altitude_upper": 10}, "body.altitude_lower"),
        ("/v1/spatial-ids/cover", {"geometry": {"type": "Point", "coordinates": [139.7, 35.6]},
          "zoom": "20", "altitude_lower": 0, "altitude_upper": 10}, "body.zoom"),
    ],
)  # fmt: skip
def test_json_kinds_are_not_coerced(
    client: httpx.Client, admin_key: Key, path: str, body: dict[str, object], field: str
) -> None:
    """A number is not true/false or a string, and a flag is not 0/1: 422 naming the field."""
    send = client.patch if "restrictions" in path else client.post
    r = send(path, headers=admin_key.headers, json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.text
