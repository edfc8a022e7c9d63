"""The planners' result: voxel visits with times, a timed LineString Z, and API shapes.

Times inside a :class:`Route` are float unix seconds (UTC); the ``to_*`` methods write
RFC 3339 strings with a ``Z`` zone (millisecond precision). Altitudes are metres in the
datum of the spatial IDs (the project's default, ``W84``: metres above the WGS84
ellipsoid, DESIGN.md §1). Waypoints are voxel centres (the first and last are the centres
of the origin's and destination's voxels), joined by straight segments. A visit's
``enter``/``leave`` are when the vehicle is inside the voxel; the published windows add
``safety_buffer_s`` on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import repeat
from typing import Any, overload

from routing.timegrid import ms_ceil, ms_floor
from spatialid import Voxel

EARTH_RADIUS_M = 6378137.0


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_ms(t: float, *, up: bool = False) -> datetime:
    """Unix seconds as a UTC datetime on a whole millisecond (rounded down, or ``up``).

    Window ends round up so a published window always covers the planned one (to within
    the grid's float slack, :mod:`routing.timegrid`). Exact: the datetime is built from the
    integer milliseconds, not from a float timestamp."""
    ms = ms_ceil(t) if up else ms_floor(t)
    return EPOCH + timedelta(milliseconds=ms)


def rfc3339_text(d: datetime) -> str:
    """A datetime as RFC 3339 UTC with milliseconds: ``1970-01-01T00:00:00.000Z``."""
    return d.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rfc3339(t: float, *, up: bool = False) -> str:
    """Unix seconds as RFC 3339 UTC with milliseconds (:func:`utc_ms`, then
    :func:`rfc3339_text`); ``rfc3339(0.0)`` is ``1970-01-01T00:00:00.000Z``."""
    return rfc3339_text(utc_ms(t, up=up))


def segment_length_m(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """3D length in metres between ``(lng, lat, alt)`` points (local equirectangular)."""
    lat = math.radians((a[1] + b[1]) / 2.0)
    dx = math.radians(b[0] - a[0]) * math.cos(lat) * EARTH_RADIUS_M
    dy = math.radians(b[1] - a[1]) * EARTH_RADIUS_M
    return math.sqrt(dx * dx + dy * dy + (b[2] - a[2]) ** 2)


@dataclass(frozen=True, slots=True)
class Visit:
    """One voxel of a route and when the vehicle is inside it (without buffer)."""

    voxel: Voxel
    enter: float
    leave: float


_new_voxel = partial(tuple.__new__, Voxel)  # Voxel(*row) without a Python-level call


class GroundVisits(Sequence[Visit]):
    """The visits of a ground route as columns: ground voxels (``f = 0``) at zoom ``z``.

    Reads like a list of :class:`Visit`; each is built when read. A fleet's routes
    then hold a few lists each instead of two objects per voxel that live as long as the
    routes (and that every full garbage collection would walk).
    """

    __slots__ = ("enter", "leave", "xs", "ys", "z")

    def __init__(
        self, z: int, xs: list[int], ys: list[int], enter: list[float], leave: list[float]
    ) -> None:
        self.z, self.xs, self.ys, self.enter, self.leave = z, xs, ys, enter, leave

    def __len__(self) -> int:
        return len(self.enter)

    @overload
    def __getitem__(self, i: int) -> Visit: ...

    @overload
    def __getitem__(self, i: slice) -> list[Visit]: ...

    def __getitem__(self, i: int | slice) -> Visit | list[Visit]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return Visit(Voxel(self.z, 0, self.xs[i], self.ys[i]), self.enter[i], self.leave[i])

    def __iter__(self) -> Iterator[Visit]:
        voxels = map(_new_voxel, zip(repeat(self.z), repeat(0), self.xs, self.ys))
        return map(Visit, voxels, self.enter, self.leave)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # like a list

    def __repr__(self) -> str:
        return f"GroundVisits({list(self)!r})"


@dataclass
class Route:
    """A planned route; ``waypoints`` are ``(lng, lat, alt, t)`` with non-decreasing ``t``."""

    visits: Sequence[Visit]
    waypoints: list[tuple[float, float, float, float]]
    safety_buffer_s: float = 0.0
    expansions: int = 0
    grid_duration_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    altitude_datum: str = "W84"

    @property
    def departure(self) -> float:
        """Unix seconds at the first waypoint."""
        return self.waypoints[0][3]

    @property
    def arrival(self) -> float:
        """Unix seconds at the last waypoint."""
        return self.waypoints[-1][3]

    @property
    def duration_s(self) -> float:
        """Arrival minus departure."""
        return self.arrival - self.departure

    @property
    def length_m(self) -> float:
        """3D length of the LineString in metres."""
        w = self.waypoints
        return sum(segment_length_m(w[i], w[i + 1]) for i in range(len(w) - 1))

    def windows(self) -> list[tuple[Voxel, float, float]]:
        """Each visit's ``(voxel, enter - buffer, leave + buffer)``."""
        b = self.safety_buffer_s
        return [(v.voxel, v.enter - b, v.leave + b) for v in self.visits]

    def spatio_temporal_ids(self) -> list[dict[str, str]]:
        """``[{"id": "z/f/x/y", "time_start", "time_end"}]`` including the buffer."""
        return [
            {"id": str(v), "time_start": rfc3339(t0), "time_end": rfc3339(t1, up=True)}
            for v, t0, t1 in self.windows()
        ]

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON Feature: LineString Z plus ``times`` (RFC 3339) per vertex."""
        coords = [[lng, lat, alt] for lng, lat, alt, _ in self.waypoints]
        if len(coords) == 1:
            coords = coords * 2
        times = [rfc3339(w[3]) for w in self.waypoints]
        if len(times) == 1:
            times = times * 2
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"times": times, "altitude_datum": self.altitude_datum},
        }

    def to_dict(self) -> dict[str, Any]:
        """The API's route body."""
        return {
            "spatial_ids": self.spatio_temporal_ids(),
            "geometry": self.to_geojson(),
            "length_m": round(self.length_m, 3),
            "departure_time": rfc3339(self.departure),
            "arrival_time": rfc3339(self.arrival),
            "duration_s": round(self.duration_s, 3),
            "safety_buffer_s": self.safety_buffer_s,
            "altitude_datum": self.altitude_datum,
        }

    def to_reservation_volumes(
        self, max_window_s: float = 30.0, max_ids: int = 10_000
    ) -> list[dict[str, Any]]:
        """Volumes for the reservation API: consecutive visits grouped while the group's
        window stays within ``max_window_s`` (so little time is over-reserved)."""
        out: list[dict[str, Any]] = []
        ids: list[str] = []
        seen: set[str] = set()
        g0 = g1 = 0.0
        for v, t0, t1 in self.windows():
            if ids and (max(g1, t1) - g0 > max_window_s or len(ids) >= max_ids):
                out.append(
                    {
                        "spatial_ids": ids,
                        "time_start": rfc3339(g0),
                        "time_end": rfc3339(g1, up=True),
                    }
                )
                ids, seen = [], set()
            if not ids:
                g0, g1 = t0, t1
            g0, g1 = min(g0, t0), max(g1, t1)
            s = str(v)
            if s not in seen:
                seen.add(s)
                ids.append(s)
        if ids:
            out.append(
                {"spatial_ids": ids, "time_start": rfc3339(g0), "time_end": rfc3339(g1, up=True)}
            )
        return out
