"""Altitude datums: heights given above sea level or above the ground, as ellipsoidal ones.

Kukan stores and answers every altitude above the WGS84 ellipsoid (``W84``, the spatial
ID's own datum). A caller may give heights in two more datums, converted here before
anything else sees them:

- ``MSL``: above mean sea level (標高), ``h = H + N`` with the geoid undulation ``N`` of the
  configured grid (:class:`spatialid.geoid.Geoid`);
- ``AGL``: above the ground, ``h = a + ground`` where imported terrain covers the place
  (:mod:`registry.services.terrain`; a DEM of sea-level heights adds ``N`` too).

A band over an area becomes the ellipsoidal band that holds the declared band everywhere
in the area: from the lower bound over the lowest ground (or geoid) to the upper bound over
the highest. Over flat ground that is the declared band shifted; over a slope it is taller.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shapely import Geometry, Point
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.services.terrain import ground_range
from spatialid.geoid import Geoid, GeoidUnavailable, find_grid


class AltitudeDatum(StrEnum):
    """What an altitude is measured from."""

    W84 = "W84"
    MSL = "MSL"
    AGL = "AGL"


@dataclass(frozen=True)
class Converter:
    """Turns ``MSL``/``AGL`` heights into ``W84`` ones; ``geoid`` is None when no grid is
    installed (then ``MSL``, and ``AGL`` over sea-level terrain, are refused)."""

    geoid: Geoid | None

    def _undulation(self, area: Geometry, field: str) -> tuple[float, float]:
        if self.geoid is None:
            raise InvalidInput(
                "heights above sea level need a geoid grid, and this server has none "
                "(install Debian's proj-data, or set KUKAN_GEOID_GRID)",
                field=field,
            )
        try:
            return self.geoid.undulation_range(area)
        except GeoidUnavailable as exc:
            raise InvalidInput(str(exc), field=field) from exc

    def offset_range(
        self, session: Session, area: Geometry, datum: AltitudeDatum | str, field: str
    ) -> tuple[float, float]:
        """Least and greatest ``W84 - datum`` over ``area`` (metres)."""
        datum = _datum(datum, field)
        if datum is AltitudeDatum.W84:
            return 0.0, 0.0
        if area.is_empty:
            raise InvalidInput(
                "a height in this datum needs a place to convert at, and the geometry is empty",
                field=field,
            )
        if datum is AltitudeDatum.MSL:
            return self._undulation(area, field)
        ground = ground_range(session, area)
        if ground is None:
            raise InvalidInput(
                "heights above the ground need terrain, and none is imported for the whole "
                "area (kukan import terrain <DEM.tif>)",
                field=field,
            )
        lo, hi = ground.lowest_m, ground.highest_m
        if ground.datum == "MSL":
            n_lo, n_hi = self._undulation(area, field)
            lo, hi = lo + n_lo, hi + n_hi
        return lo, hi

    def band(
        self,
        session: Session,
        area: Geometry,
        lower: float,
        upper: float,
        datum: AltitudeDatum | str,
        field: str = "altitude_datum",
    ) -> tuple[float, float]:
        """The ``W84`` band holding ``[lower, upper]`` (in ``datum``) everywhere over ``area``."""
        lo, hi = self.offset_range(session, area, datum, field)
        return lower + lo, upper + hi

    def height(
        self,
        session: Session,
        lng: float,
        lat: float,
        alt: float,
        datum: AltitudeDatum | str,
        field: str = "altitude_datum",
    ) -> float:
        """The ``W84`` height of ``alt`` (in ``datum``) at one point."""
        lo, _ = self.offset_range(session, Point(lng, lat), datum, field)
        return alt + lo


def _datum(datum: AltitudeDatum | str, field: str) -> AltitudeDatum:
    try:
        return AltitudeDatum(datum)
    except ValueError:
        names = ", ".join(d.value for d in AltitudeDatum)
        raise InvalidInput(f"must be one of {names}, got {datum!r}", field=field) from None


def altitude_converter(grid: str | Path | None = None) -> Converter:
    """A converter on ``grid`` (which must be readable), else on the default geoid grid
    when one is installed (:func:`spatialid.geoid.find_grid`), else without a geoid."""
    if grid is not None:
        return Converter(Geoid(grid))
    found = find_grid()
    return Converter(Geoid(found) if found is not None else None)
