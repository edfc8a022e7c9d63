"""The ``bbox`` query parameter, parsed in one place: ``west,south,east,north`` (degrees).

A bad value is a 422 naming ``bbox``: not four numbers, out of range (longitudes -180..180,
latitudes -90..90), empty or reversed (``west < east``, ``south < north``), or larger
than the endpoint allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query

from registry.boxes.bbox import BBox
from registry.errors import InvalidInput
from registry.services.map_data import MAX_BBOX_DEG2

DOC = "west,south,east,north (degrees)"


def parse_bbox(raw: str, *, max_deg2: float | None = None) -> BBox:
    """``west,south,east,north`` checked for count, range, order and (optionally) area."""
    try:
        w, s, e, n = (float(p) for p in raw.split(","))
    except ValueError:
        raise InvalidInput(f"bbox {raw!r} must be west,south,east,north", field="bbox") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise InvalidInput(f"bbox {raw!r} is out of range or empty", field="bbox")
    box = BBox(w, s, e, n)
    if max_deg2 is not None and box.area_deg2 > max_deg2:
        raise InvalidInput(
            f"bbox {raw!r} is larger than {max_deg2} square degrees; zoom in", field="bbox"
        )
    return box


def _required(max_deg2: float | None = None) -> Callable[[str], BBox]:
    def dependency(bbox: Annotated[str, Query(description=DOC)]) -> BBox:
        return parse_bbox(bbox, max_deg2=max_deg2)

    return dependency


def _optional(bbox: Annotated[str | None, Query(description=DOC)] = None) -> BBox | None:
    return None if bbox is None else parse_bbox(bbox)


BBoxDep = Annotated[BBox, Depends(_required())]
"""A required ``bbox`` of any size."""
OptionalBBoxDep = Annotated[BBox | None, Depends(_optional)]
"""An optional ``bbox`` of any size (a list filter)."""
MapBBoxDep = Annotated[BBox, Depends(_required(MAX_BBOX_DEG2))]
"""A required ``bbox`` of at most ``MAX_BBOX_DEG2`` square degrees (the web map's roads)."""
