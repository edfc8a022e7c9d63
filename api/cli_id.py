"""``kukan id``: encode a point, decode an ID, cover a GeoJSON file with IDs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from api.cli_common import CliError, sub
from api.settings import Settings


def cmd_encode(args: argparse.Namespace, settings: Settings) -> None:
    """Print the ID of a point."""
    from spatialid import lnglat_to_voxel

    print(lnglat_to_voxel(args.lng, args.lat, args.alt, args.zoom))


def cmd_decode(args: argparse.Namespace, settings: Settings) -> None:
    """Print the bounds, centre and altitudes of an ID."""
    from spatialid import ExtendedId, SpatioTemporalId, parse, voxel_bounds, voxel_center

    v = parse(args.id)
    if isinstance(v, ExtendedId):
        raise CliError("decode takes a {z}/{f}/{x}/{y} ID (or one with _{i}/{t})")
    voxel = v.voxel if isinstance(v, SpatioTemporalId) else v
    w, s, bottom, e, n, top = voxel_bounds(voxel)
    lng, lat, alt = voxel_center(voxel)
    print(f"id:        {v}")
    print(f"zoom:      {voxel.z}  (f={voxel.f} x={voxel.x} y={voxel.y})")
    print(f"bounds:    west {w:.9f} south {s:.9f} east {e:.9f} north {n:.9f}")
    print(f"centre:    lng {lng:.9f} lat {lat:.9f} alt {alt:g} m")
    print(f"altitudes: {bottom:g} m to {top:g} m (height {top - bottom:g} m, datum W84)")
    if isinstance(v, SpatioTemporalId):
        t0, t1 = v.time_range()
        print(f"time:      {t0.isoformat()} to {t1.isoformat()}")


def cmd_cover(args: argparse.Namespace, settings: Settings) -> None:
    """Print the IDs covering a GeoJSON geometry, one a line."""
    from spatialid import geometry_to_voxels

    path = Path(args.file)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: not valid JSON ({exc})") from None
    try:
        vs = geometry_to_voxels(
            doc,
            args.zoom,
            alt_lower=args.alt_lower,
            alt_upper=args.alt_upper,
            max_voxels=args.max_voxels,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CliError(f"{path}: not a GeoJSON geometry or feature ({exc})") from None
    for v in vs.compact() if args.compact else vs:
        print(v)


def add_parsers(subs: argparse._SubParsersAction) -> None:
    """Register ``kukan id encode|decode|cover``."""
    ids = sub(subs, "id", "spatial ID tools", "kukan id encode 139.7671 35.6812 10 --zoom 20")
    id_subs = ids.add_subparsers(dest="action", required=True, metavar="ACTION")
    enc = sub(
        id_subs,
        "encode",
        "the ID {z}/{f}/{x}/{y} of a point (degrees, metres W84)",
        "kukan id encode 24.9414 60.1699 30 --zoom 20",
    )
    enc.add_argument("lng", type=float, help="longitude, degrees")
    enc.add_argument("lat", type=float, help="latitude, degrees")
    enc.add_argument("alt", type=float, help="altitude, metres")
    enc.add_argument("--zoom", type=int, required=True, help="zoom 0..30")
    enc.set_defaults(func=cmd_encode)
    dec = sub(
        id_subs,
        "decode",
        "bounds, centre and altitudes of an ID",
        "kukan id decode 20/0/931389/412906",
    )
    dec.add_argument("id", help="a spatial ID, e.g. 20/0/931389/412906 (or with _{i}/{t})")
    dec.set_defaults(func=cmd_decode)
    cov = sub(
        id_subs,
        "cover",
        "the IDs covering a GeoJSON geometry and an altitude band, one a line",
        "kukan id cover park.geojson --zoom 20 --alt-lower 0 --alt-upper 120 --compact",
    )
    cov.add_argument("file", help="a GeoJSON geometry, Feature or FeatureCollection")
    cov.add_argument("--zoom", type=int, required=True, help="zoom 0..30")
    cov.add_argument("--alt-lower", type=float, help="bottom of the band, metres")
    cov.add_argument("--alt-upper", type=float, help="top of the band, metres")
    cov.add_argument("--compact", action="store_true", help="merge full octants into parents")
    cov.add_argument("--max-voxels", type=int, default=1_000_000, help="refuse larger covers")
    cov.set_defaults(func=cmd_cover)
