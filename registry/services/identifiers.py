"""Vehicles' official identifiers: their forms, normalisation, kinds and uniqueness.

- ``registration_mark``: Japan's drone registration mark (登録記号), ``JU`` and ten
  uppercase letters or digits (twelve characters), stored uppercase.
- ``remote_id``: the Remote ID serial number of ANSI/CTA-2063-A: a four-character
  manufacturer code, one length character (``1``-``9``, ``A``-``F`` for 1..15) and that
  many serial characters; digits and uppercase letters without ``O`` and ``I``.
- ``plate``: a car's registration plate, free form (1..32 characters once trimmed,
  uppercased and its inner whitespace collapsed).

Each is optional, fits only some kinds (``IDENTIFIER_KINDS``) and is unique among the
vehicles that are not retired (partial unique indexes); a retired vehicle's identifier may
be given to another vehicle.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from registry.errors import InvalidInput, Taken
from registry.models import IDENTIFIER_FIELDS, IDENTIFIER_KINDS, Vehicle

_CTA = "0-9A-HJ-NP-Z"
"""CTA-2063-A characters: digits and uppercase letters except O and I."""
_CTA_ANY_CASE = "0-9A-HJ-NP-Za-hj-np-z"
_LENGTHS = "123456789ABCDEF"

REGISTRATION_MARK_PATTERN = r"^[Jj][Uu][0-9A-Za-z]{10}$"
"""A registration mark, any case (stored uppercase)."""
REMOTE_ID_PATTERN = (
    rf"^[{_CTA_ANY_CASE}]{{4}}(?:"
    + "|".join(
        f"{c if c.isdigit() else f'[{c}{c.lower()}]'}[{_CTA_ANY_CASE}]{{{n}}}"
        for n, c in enumerate(_LENGTHS, 1)
    )
    + ")$"
)
"""A CTA-2063-A serial number, any case (stored uppercase); its length character agrees
with the length of the serial part."""
PLATE_PATTERN = r"\S"
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""Unicode White_Space (what ``\\s`` of the pattern means), and the byte-order mark."""
_SPACES = re.compile(f"[{_SPACE}]+")
PLATE_MAX = 32
"""Longest plate once normalised."""

_FORMS = {
    "registration_mark": (
        re.compile(REGISTRATION_MARK_PATTERN),
        "a registration mark is JU followed by 10 uppercase letters or digits",
    ),
    "remote_id": (
        re.compile(REMOTE_ID_PATTERN),
        "a Remote ID serial number (ANSI/CTA-2063-A) is a 4-character manufacturer code, "
        "a length character 1-9 or A-F (1..15) and that many characters, digits and "
        "letters without O and I",
    ),
}


def normalise(field: str, value: str) -> str:
    """The stored form of an identifier (uppercase; a plate trimmed, single-spaced)."""
    if field == "plate":
        return _collapse(value).upper()
    return value.strip().upper()


def _collapse(value: str) -> str:
    return _SPACES.sub(" ", value).strip(" ")


def check(field: str, value: str) -> str:
    """The normalised identifier, or InvalidInput naming ``field`` and the form it misses."""
    text = normalise(field, value)
    if field == "plate":  # the length before uppercasing: "ß" becomes "SS"
        if not 1 <= len(_collapse(value)) <= PLATE_MAX:
            raise InvalidInput(f"plate must be 1 to {PLATE_MAX} characters", field=field)
        return text
    pattern, form = _FORMS[field]
    if not pattern.fullmatch(value):  # as given: the pattern the OpenAPI declares
        raise InvalidInput(f"{field} {value!r} is not valid: {form}", field=field)
    return text


def normalise_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each identifier present checked and normalised."""
    out = dict(values)
    for field in IDENTIFIER_FIELDS:
        if out.get(field) is not None:
            out[field] = check(field, str(out[field]))
    return out


def check_kind(vehicle: Vehicle) -> None:
    """InvalidInput naming the first identifier the vehicle's kind does not carry."""
    for field in IDENTIFIER_FIELDS:
        if getattr(vehicle, field) is not None and vehicle.kind not in IDENTIFIER_KINDS[field]:
            fits = " and ".join(f"{k}s" for k in IDENTIFIER_KINDS[field])
            raise InvalidInput(f"a {vehicle.kind} carries no {field}: only {fits} do", field=field)


class Carried(NamedTuple):
    """A vehicle's identifiers as the uniqueness check reads them."""

    vehicle_id: uuid.UUID
    operator_id: uuid.UUID
    live: bool
    values: dict[str, str | None]


def carried(vehicle: Vehicle) -> Carried:
    """What ``vehicle`` carries now (read before a flush that may expire it)."""
    values = {f: getattr(vehicle, f) for f in IDENTIFIER_FIELDS}
    return Carried(vehicle.id, vehicle.operator_id, vehicle.status != "retired", values)


def check_unique(*, session: Session, vehicle: Carried) -> None:
    """Taken naming the field (and, for the same operator, the other vehicle) when a live
    vehicle other than ``vehicle`` carries one of its identifiers."""
    if not vehicle.live:
        return
    for field, value in vehicle.values.items():
        if value is None:
            continue
        column = getattr(Vehicle, field)
        row = session.execute(
            select(Vehicle.id, Vehicle.operator_id).where(
                column == value, Vehicle.status != "retired", Vehicle.id != vehicle.vehicle_id
            )
        ).first()
        if row is None:
            continue
        extra: dict[str, object] = {}
        mine = row[1] == vehicle.operator_id
        if mine:
            extra["vehicle_id"] = str(row[0])
        owner = f"your vehicle {row[0]}" if mine else "another operator's vehicle"
        raise Taken(f"{field} {value} is already carried by {owner}", field=field, extra=extra)


def where_identifier(value: str) -> ColumnElement[bool]:
    """The SQL condition: a vehicle carries ``value`` as one of its identifiers."""
    return or_(*(getattr(Vehicle, f) == normalise(f, value) for f in IDENTIFIER_FIELDS))
