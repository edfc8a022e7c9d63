"""OSM buildings: counts checked with osmium independently, heights, idempotency, 409."""

from __future__ import annotations

import httpx
import osmium
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from registry.db import session_scope
from registry.importers.parsers.common import DEFAULT_HEIGHT_M, STOREY_HEIGHT_M
from spatialid import lnglat_to_voxel
from tests.conftest import Key
from tests.importers.conftest import PBF, Imported, counts, import_osm
from tests.reservations.helpers import conflict, volume


def _osmium_buildings() -> dict[str, dict[str, str]]:
    """Building areas with a valid geometry, counted with osmium alone (tags by ref)."""
    wkb = osmium.geom.WKBFactory()
    out = {}
    for obj in osmium.FileProcessor(str(PBF)).with_areas():
        if obj.is_area() and obj.tags.get("building", "no") != "no":
            geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            if not geom.is_empty:
                kind = "way" if obj.from_way() else "relation"
                out[f"{kind}/{obj.orig_id()}"] = dict(obj.tags)
    return out


def _heights(factory: sessionmaker[Session], source: str) -> dict[str, tuple[float, float]]:
    with session_scope(factory) as session:
        rows = session.execute(
            text("SELECT source_ref, min_height_m, height_m FROM obstacles WHERE source = :s"),
            {"s": source},
        )
        return {r[0]: (r[1], r[2]) for r in rows}


def test_every_building_area_is_imported(
    helsinki: Imported, db_sessions: sessionmaker[Session]
) -> None:
    expected = _osmium_buildings()
    assert helsinki.written.buildings == 446 == len(expected)
    assert helsinki.data.building_stats.skipped == {}
    assert set(_heights(db_sessions, helsinki.source)) == set(expected)
    assert counts(db_sessions, helsinki.source)["blocker_boxes"] == helsinki.written.boxes > 0


def test_heights_from_tags_levels_and_default(
    helsinki: Imported, db_sessions: sessionmaker[Session]
) -> None:
    heights = _heights(db_sessions, helsinki.source)
    assert heights["way/123525580"] == (0.0, 70.0)  # Hotelli Torni, height=70
    assert heights["way/185401488"][1] == 12.13  # Kampin kappeli, height="12.13 m"
    assert heights["way/31719985"] == (2.5, 4.0)  # height=4, min_height=2.5
    tags = _osmium_buildings()
    by_levels = [
        ref
        for ref, t in tags.items()
        if "height" not in t and t.get("building:levels", "").isdigit()
        and "roof:levels" not in t and "building:min_level" not in t
    ]  # fmt: skip
    assert len(by_levels) > 50
    for ref in by_levels:
        assert heights[ref] == (0.0, int(tags[ref]["building:levels"]) * STOREY_HEIGHT_M)
    bare = [r for r, t in tags.items() if not {"height", "building:levels", "min_height"} & set(t)]
    assert bare and all(heights[r] == (0.0, DEFAULT_HEIGHT_M) for r in bare)


def test_reimport_is_idempotent(db_sessions: sessionmaker[Session]) -> None:
    from tests.conftest import unique

    first = import_osm(db_sessions, unique("osm-again"))
    before = counts(db_sessions, first.source)
    second = import_osm(db_sessions, first.source)
    assert counts(db_sessions, first.source) == before
    assert second.written.replaced_buildings == before["obstacles"] == 446
    assert second.written.replaced_edges == before["road_edges"]


def test_a_reservation_into_a_building_is_refused(
    helsinki: Imported, client: httpx.Client, operator_key: Key
) -> None:
    torni = next(b for b in helsinki.data.buildings if b.ref == "way/123525580")
    point = torni.footprint.representative_point()
    inside = str(lnglat_to_voxel(point.x, point.y, 40.0, 24))
    above = str(lnglat_to_voxel(point.x, point.y, 90.0, 24))
    r = client.post(
        "/v1/reservations", headers=operator_key.headers, json={"volumes": [volume([inside])]}
    )
    assert conflict(r)["conflicts"]
    r = client.post(
        "/v1/reservations", headers=operator_key.headers, json={"volumes": [volume([above])]}
    )
    assert r.status_code == 201, r.text
