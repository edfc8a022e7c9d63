"""Request altitudes in ``MSL`` or ``AGL`` turned into ``W84`` before the services see them."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session

from registry.errors import InvalidInput
from registry.services.datums import Converter
from registry.services.reservations import VolumeRequest


def w84_band(
    session: Session,
    conv: Converter,
    geometry: Any,
    lower: float,
    upper: float,
    datum: str,
    field: str = "altitude_datum",
) -> tuple[float, float]:
    """``[lower, upper]`` in ``datum`` over a GeoJSON ``geometry`` as a ``W84`` band."""
    if datum == "W84":
        return lower, upper
    return conv.band(session, shape(geometry), lower, upper, datum, field)


def volume_request(session: Session, conv: Converter, volume: Any, index: int) -> VolumeRequest:
    """A reservation volume (``VolumeIn``) with its band in ``W84``."""
    data = volume.model_dump(exclude={"altitude_datum"})
    datum = volume.altitude_datum
    if datum != "W84":
        field = f"volumes[{index}].altitude_datum"
        if (
            volume.geometry is None
            or volume.altitude_lower is None
            or (volume.altitude_upper is None)
        ):
            raise InvalidInput(
                "altitude_datum applies to a geometry's altitude band; spatial IDs carry "
                "their own (W84) altitudes",
                field=field,
            )
        data["altitude_lower"], data["altitude_upper"] = conv.band(
            session,
            shape(data["geometry"]),
            volume.altitude_lower,
            volume.altitude_upper,
            datum,
            field,
        )
    return VolumeRequest(**data)
