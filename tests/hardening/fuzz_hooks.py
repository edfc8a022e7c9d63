"""Schemathesis hooks: the rules the API enforces that a JSON Schema cannot state.

A JSON Schema says what each field may hold, not how fields relate: a bounding box's west
below its east, a band's lower bound below its upper one, a window that ends after it starts
and lies ahead, a geometry that is a valid ring somewhere the server has data, a vehicle id
that exists and belongs to the caller, a voxel count within the request limit. Positive cases
(the data schemathesis believes valid) are mapped onto those rules here, keeping the values
it drew where they can stand; negative cases pass untouched, so every refusal is still
exercised. ``KUKAN_FUZZ_*`` variables (set by the test) name the fuzz server's data.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import schemathesis
from schemathesis.generation.modes import GenerationMode

import spatialid

CORNER = tuple(float(v) for v in os.environ.get("KUKAN_FUZZ_CORNER", "139.70,35.60").split(","))
"""lng, lat of the fuzz server's footways (south-west end); geometry lands near it."""
VEHICLES = dict(
    item.split("=", 1) for item in os.environ.get("KUKAN_FUZZ_VEHICLES", "").split(",") if item
)
"""Vehicle kind (``drone``, ``robot0``, ``robot1``…) to the id of a vehicle the caller owns."""
OPERATOR = os.environ.get("KUKAN_FUZZ_OPERATOR", "")
"""The fuzz server's operator: the caller's own (operator role), any existing one (admin)."""
METRE_LAT = 1 / 111_320
GEOMETRY_KEYS = {"geometry"}
PAIRS = (
    ("altitude_lower", "altitude_upper"),
    ("alt_lower", "alt_upper"),
    ("min_height_m", "height_m"),
    ("altitude_lower_m", "altitude_upper_m"),
)


def _rng(case: Any) -> Random:
    """A generator seeded by the drawn data, so a seeded run maps the same way each time."""
    drawn = json.dumps([case.body, case.query], default=str, sort_keys=True)
    return Random(hashlib.sha256(drawn.encode()).digest())


def _at(rng: Random, spread_m: float = 300.0, east_m: float = 0.0) -> tuple[float, float]:
    lng0, lat0 = CORNER
    metre_lng = METRE_LAT / max(0.1, _cos_deg(lat0))
    return (
        lng0 + (east_m + rng.uniform(0, spread_m)) * metre_lng,
        lat0 + rng.uniform(0, spread_m) * METRE_LAT,
    )


def _cos_deg(deg: float) -> float:
    return math.cos(math.radians(deg))


def _square(rng: Random, east_m: float = 0.0) -> list[list[list[float]]]:
    lng, lat = _at(rng, east_m=east_m)
    d = rng.uniform(5, 40) * METRE_LAT
    return [[[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]]


def _geometry(kind: str, rng: Random, east_m: float = 0.0) -> dict[str, Any]:
    """A small valid geometry of the drawn ``kind`` near the corner (``east_m`` east of it)."""
    lng, lat = _at(rng, east_m=east_m)
    d = rng.uniform(5, 40) * METRE_LAT
    if kind == "Point":
        return {"type": kind, "coordinates": [lng, lat]}
    if kind == "MultiPoint":
        return {"type": kind, "coordinates": [[lng, lat], [lng + d, lat + d]]}
    if kind == "LineString":
        return {"type": kind, "coordinates": [[lng, lat], [lng + d, lat + d]]}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": [[[lng, lat], [lng + d, lat + d]]]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [_square(rng, east_m)]}
    return {"type": "Polygon", "coordinates": _square(rng, east_m)}


def _window(rng: Random) -> tuple[str, str]:
    start = datetime.now(UTC) + timedelta(hours=1, seconds=rng.randrange(0, 86_400))
    end = start + timedelta(seconds=rng.randrange(30, 900))
    return start.isoformat(), end.isoformat()


def _spatial_ids(count: int, rng: Random) -> list[str]:
    out = []
    for _ in range(max(1, min(count, 5))):
        lng, lat = _at(rng)
        out.append(str(spatialid.lnglat_to_voxel(lng, lat, rng.uniform(20, 120), 20)))
    return out


BLOCKERS_EAST_M = 2_000.0
"""Obstacles and restrictions go this far east of the corner, so that what the fuzzer
declares does not fill the space where it then asks for routes and reservations."""


def _blocker_offset(path: str) -> float:
    return BLOCKERS_EAST_M if "/obstacles" in path or "/restrictions" in path else 0.0


def _repair(obj: Any, rng: Random, path: str) -> Any:
    """``obj`` with every field that has a cross-field rule brought within it."""
    if isinstance(obj, list):
        return [_repair(v, rng, path) for v in obj]
    if isinstance(obj, str):
        return obj.replace("\x00", "")  # no text may hold a NUL (a rule of every body)
    if not isinstance(obj, dict):
        return obj
    out = {k: _repair(v, rng, path) for k, v in obj.items()}
    for key in GEOMETRY_KEYS & out.keys():
        if isinstance(out[key], dict):
            out[key] = _geometry(str(out[key].get("type")), rng, _blocker_offset(path))
    for lo, hi in PAIRS:
        if lo == "min_height_m" and not path.startswith("POST /v1/obstacles"):
            continue  # a vehicle's height_m is its size, not a band's top
        if out.get(lo) is not None or out.get(hi) is not None:
            out[lo] = rng.uniform(0, 100)
            out[hi] = out[lo] + rng.uniform(1, 40)
    if "time_start" in out or "time_end" in out:
        out["time_start"], out["time_end"] = _window(rng)
    if "departure_time" in out:
        out["departure_time"] = _window(rng)[0]
    if out.get("altitude_datum") == "AGL":  # no terrain on the fuzz server
        out["altitude_datum"] = "W84"
    if "zoom" in out and out["zoom"] is not None:
        # routes fly at fine zooms (a voxel must fit the vehicle's band); areas at coarser ones
        out["zoom"] = rng.randrange(21, 24) if "/routes" in path else rng.randrange(17, 21)
    if out.get("aggregate") is not None:
        out["aggregate"] = None
    if isinstance(out.get("spatial_ids"), list):
        out["spatial_ids"] = _spatial_ids(len(out["spatial_ids"]), rng)
        for key in ("geometry", "altitude_lower", "altitude_upper"):
            if key in out:
                out[key] = None
        if out.get("altitude_datum") is not None:
            out["altitude_datum"] = "W84"
    if "volumes" in out and isinstance(out["volumes"], list):
        out["volumes"] = out["volumes"][:3]
    return out


def _route(item: dict[str, Any], rng: Random, vehicle: str | None) -> dict[str, Any]:
    """A route request between two points the vehicle can join."""
    item = dict(item)
    if vehicle is not None:
        item["vehicle_id"] = VEHICLES[vehicle]
    item["source"] = None
    if vehicle is not None and vehicle.startswith("robot"):
        item.pop("zoom", None)
        item.pop("clearance_m", None)
        lng0, lat0 = CORNER
        metre_lng = METRE_LAT / max(0.1, _cos_deg(lat0))
        for end, east in (("origin", rng.uniform(0, 60)), ("destination", rng.uniform(120, 200))):
            item[end] = {"lng": lng0 + east * metre_lng, "lat": lat0, "alt": 0.0}
    else:
        for end in ("origin", "destination"):
            lng, lat = _at(rng)
            item[end] = {"lng": lng, "lat": lat, "alt": rng.uniform(30, 60)}
        item["clearance_m"] = None
        item["airways_only"] = None  # the vehicle's own choice (the fuzz server has no airways)
    return item


IDENTIFIER_KINDS = {"registration_mark": "drone", "remote_id": "drone", "plate": "car"}
"""The kind each vehicle identifier fits."""


def _fitting(label: str, body: dict[str, Any]) -> dict[str, Any]:
    """A vehicle body without the identifiers its kind does not carry (an update of the
    spare vehicle, whose kind may change, without any)."""
    kind = body.get("kind") if label == "POST /v1/vehicles" else None
    return {k: v for k, v in body.items() if IDENTIFIER_KINDS.get(k, kind) == kind}


ALPHANUMERIC = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Digits and capitals without I and O (registration marks, CTA-2063-A serials)."""


def _unique(body: dict[str, Any], rng: Random) -> dict[str, Any]:
    """A vehicle body whose serial and identifiers no other live vehicle carries yet (a
    repeat is a 409, as it should be; the fuzzer draws the same few values again and again)."""
    code = "".join(rng.choices(ALPHANUMERIC, k=30))
    fresh = {
        "serial": lambda v: f"{v}-{code[:8]}"[-200:],
        "registration_mark": lambda v: "JU" + code[:10],
        "remote_id": lambda v: code[10:14] + "F" + code[14:29],
        "plate": lambda v: f"FZ {code[:8]}",
    }
    return {k: fresh[k](v) if k in fresh and v is not None else v for k, v in body.items()}


def _fix_body(label: str, body: Any, rng: Random) -> Any:
    body = _repair(body, rng, label)
    if label in ("POST /v1/vehicles", "PATCH /v1/vehicles/{vehicle_id}") and isinstance(body, dict):
        body = _unique(_fitting(label, body), rng)
        if "kind" in body and body["kind"] != "drone":  # only drones keep to the airways
            body["airways_only"] = False
        if label == "POST /v1/vehicles" and OPERATOR:
            body["operator_id"] = OPERATOR  # an admin names one; an operator may name its own
        return body
    if label == "POST /v1/webhooks" and isinstance(body, dict):
        # a receiver must be public, which only DNS can say: point it at this machine
        # (the fuzz server allows that) on a port nothing listens on
        body["url"] = f"http://127.0.0.1:9/fuzz/{rng.randrange(10**6)}"
        return body
    if label == "POST /v1/webhooks/{webhook_id}/replay" and isinstance(body, dict):
        body["after"] = None  # an opaque cursor: only the log makes valid ones
        return body
    if label == "POST /v1/routes" and isinstance(body, dict):
        return _route(body, rng, "drone" if "drone" in VEHICLES else None)
    if label == "POST /v1/fleets/routes" and isinstance(body, dict):
        items = body.get("requests") or [{}]
        robots = sorted(k for k in VEHICLES if k.startswith("robot")) or [None]
        body["requests"] = [
            {**_route(item, rng, robots[k]), "replaces": None}  # fleets book new reservations
            for k, item in enumerate(items[: len(robots)])
        ]
        return body
    if label in ("POST /v1/reservations", "PUT /v1/reservations/{reservation_id}") and isinstance(
        body, dict
    ):
        if body.get("vehicle_id") is not None and "drone" in VEHICLES:
            body["vehicle_id"] = VEHICLES["drone"]
        volumes = [_volume(v, rng) for v in body.get("volumes") or [{}]]
        start = datetime.now(UTC) + timedelta(hours=1, seconds=rng.randrange(0, 86_400))
        for k, v in enumerate(volumes):  # one after another: a request's volumes are disjoint
            v["time_start"] = (start + timedelta(minutes=20 * k)).isoformat()
            v["time_end"] = (start + timedelta(minutes=20 * k + 10)).isoformat()
        body["volumes"] = volumes
    return body


def _volume(volume: Any, rng: Random) -> dict[str, Any]:
    """One of the two forms a reservation volume takes: spatial IDs, or a geometry with its
    band and zoom; both within a window ahead."""
    v = dict(volume) if isinstance(volume, dict) else {}
    v["time_start"], v["time_end"] = _window(rng)
    if v.get("spatial_ids"):
        return {**v, "geometry": None, "altitude_lower": None, "altitude_upper": None}
    lower = rng.uniform(0, 100)
    return {
        **v,
        "spatial_ids": None,
        "geometry": _geometry(str((v.get("geometry") or {}).get("type", "Polygon")), rng),
        "altitude_lower": lower,
        "altitude_upper": lower + rng.uniform(1, 40),
        "zoom": rng.randrange(17, 21),
    }


def _identify(query: dict[str, Any], rng: Random) -> dict[str, Any]:
    """One of ``identifier`` and ``spatial_id``, the voxel a valid one near the corner."""
    if query.get("identifier") is not None:
        query.pop("spatial_id", None)
        return query
    if query.get("spatial_id") is None:
        query["identifier"] = "JU" + "".join(
            rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=10)
        )
        return query
    lng, lat = _at(rng)
    query["spatial_id"] = str(spatialid.lnglat_to_voxel(lng, lat, rng.uniform(0, 100), 20))
    return query


def _fix_query(label: str, query: dict[str, Any], rng: Random) -> dict[str, Any]:
    # an opaque cursor only comes from a page's `next` link: a drawn one is no cursor
    query = {k: v for k, v in _repair(query, rng, label).items() if v is not None and k != "after"}
    if label == "GET /v1/identify":
        query = _identify(query, rng)
    if "bbox" in query:
        lng, lat = _at(rng)
        d = rng.uniform(20, 200) * METRE_LAT
        query["bbox"] = f"{lng:.6f},{lat:.6f},{lng + d:.6f},{lat + d:.6f}"
    return query


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """Positive cases brought within the API's cross-field rules; others untouched."""
    meta = getattr(case, "_meta", None)
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return case
    label = f"{case.method.upper()} {case.operation.path}"
    rng = _rng(case)
    if case.body is not None and not isinstance(case.body, (bytes, str)):
        case.body = _fix_body(label, case.body, rng)
    if case.query or label == "GET /v1/identify":
        case.query = _fix_query(label, dict(case.query or {}), rng)
    if case.method.upper() == "PUT" and case.operation.path == "/v1/reservations/{reservation_id}":
        case.headers = {**(case.headers or {}), "If-Match": "*"}  # a drawn version is stale
    if label == "POST /v1/vehicles/{vehicle_id}/positions" and "drone" in VEHICLES:
        case.path_parameters = {**(case.path_parameters or {}), "vehicle_id": VEHICLES["drone"]}
        if isinstance(case.body, dict):  # a fix already taken, where the vehicle is
            lng, lat = _at(rng)
            at = datetime.now(UTC) - timedelta(seconds=rng.randrange(1, 3_600))
            case.body = {
                **case.body,
                "time": at.isoformat(),
                "lng": lng,
                "lat": lat,
                "alt_m": rng.uniform(0, 100),
                "altitude_datum": "W84",
            }
    path = case.path_parameters or {}
    if case.method.upper() in ("GET", "PATCH") and "vehicle_id" in path and "spare" in VEHICLES:
        case.path_parameters["vehicle_id"] = VEHICLES["spare"]
    return case
