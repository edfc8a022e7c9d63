"""The box-probe SQL: one copy of each fragment the GiST box queries are built from.

A stored box (``reservation_boxes``, ``blocker_boxes``) has half-open int4 ranges
``x, y, f`` at the leaf zoom and a ``during`` window. A probe is the same shape, given
either as bind arrays unnested into rows ``m(x0, x1, y0, y1, f0, f1[, t0, t1], i)``
(:func:`unnest`), as one row of ranges ``p(x, y, f)`` (:data:`ONE_PROBE`), or as another
stored box. :func:`meets` is the indexed overlap test (``&&`` on every axis), and
:func:`clip` the stored box's bounds cut to the probe.
"""

from __future__ import annotations

SPACE = ("x0", "x1", "y0", "y1", "f0", "f1")
"""The bind arrays (and unnested columns) of a probe's leaf box, in this order."""


def unnest(*, times: bool, owners: bool = False) -> str:
    """Probes from bind arrays as rows ``m(x0, x1, y0, y1, f0, f1, [t0, t1,] i)``
    (``i`` counts from 1); with ``owners`` a leading column ``o`` from ``:o`` (uuid[])."""
    arrays = [f"CAST(:{c} AS int4[])" for c in SPACE]
    names = list(SPACE)
    if times:
        arrays += ["CAST(:t0 AS timestamptz[])", "CAST(:t1 AS timestamptz[])"]
        names += ["t0", "t1"]
    if owners:
        arrays.insert(0, "CAST(:o AS uuid[])")
        names.insert(0, "o")
    return f"unnest({', '.join(arrays)}) WITH ORDINALITY AS m({', '.join(names)}, i)"


PROBES = unnest(times=True)
"""Leaf boxes, each with its own window ``t0, t1``, as rows of ``m``."""
SPACE_PROBES = unnest(times=False)
"""Leaf boxes without windows (the query gives one window for all) as rows of ``m``."""
ONE_PROBE = """(SELECT int4range(:x0, :x1) AS x, int4range(:y0, :y1) AS y,
    int4range(:f0, :f1) AS f) p"""
"""One leaf box from scalar binds as the row ``p(x, y, f)`` of ranges."""

Ranges = tuple[str, str, str]
M: Ranges = ("int4range(m.x0, m.x1)", "int4range(m.y0, m.y1)", "int4range(m.f0, m.f1)")
"""The ranges of an unnested probe row ``m``."""
M_WINDOW = "tstzrange(m.t0, m.t1)"
"""The window of an unnested probe row ``m`` (of :data:`PROBES`)."""


def ranges(alias: str) -> Ranges:
    """The ranges of a row with columns ``x, y, f`` (a stored box, :data:`ONE_PROBE`)."""
    return f"{alias}.x", f"{alias}.y", f"{alias}.f"


def meets(box: str, probe: Ranges, during: str | None = None) -> str:
    """The stored ``box`` is active and overlaps ``probe`` (and ``during``, when given)."""
    x, y, f = probe
    out = f"{box}.active AND {box}.x && {x} AND {box}.y && {y} AND {box}.f && {f}"
    return out if during is None else f"{out} AND {box}.during && {during}"


def clip(box: str, probe: Ranges) -> str:
    """The bounds ``x0, x1, y0, y1, f0, f1`` of the stored ``box`` cut to ``probe``."""
    return ", ".join(
        f"lower({box}.{a} * {r}), upper({box}.{a} * {r})" for a, r in zip("xyf", probe, strict=True)
    )


def insert_ranges(probe: Ranges = M) -> str:
    """The ``x, y, f`` values of a box insert from a probe row."""
    return ", ".join(probe)
