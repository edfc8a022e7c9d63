"""Route fixtures: a tiny road source of two footways that do not meet."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from tests.conftest import unique
from tests.platform.test_cli import kukan
from tests.routes.helpers import offset, point

WAYS = {"west": [(0, 0), (100, 0), (200, 0)], "east": [(200, 300), (300, 300)]}
"""Two footways (metres east and north of the corner) with no node in common."""


@dataclass(frozen=True)
class Roads:
    """An imported road source and the corner its footways are measured from."""

    source: str
    corner: tuple[float, float]

    def at(self, east_m: float, north_m: float, alt: float = 0.0) -> dict[str, float]:
        """A request point near the footways."""
        return point(*offset(*self.corner, east_m, north_m), alt)


def osm_xml(corner: tuple[float, float]) -> str:
    """The footways of :data:`WAYS` as an OSM XML file."""
    nodes, ways, ref = [], [], 0
    for k, pts in enumerate(WAYS.values()):
        refs = []
        for e, n in pts:
            ref += 1
            lng, lat = offset(*corner, e, n)
            nodes.append(f'<node id="{ref}" version="1" lat="{lat:.7f}" lon="{lng:.7f}"/>')
            refs.append(f'<nd ref="{ref}"/>')
        ways.append(
            f'<way id="{100 + k}" version="1">{"".join(refs)}<tag k="highway" v="footway"/></way>'
        )
    return f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes + ways)}</osm>'


@pytest.fixture(scope="session")
def footways(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Roads:
    """The two footways, imported as a fresh source (roads only)."""
    corner = (random.uniform(140.0, 150.0), random.uniform(-40.0, -30.0))
    path = tmp_path_factory.mktemp("roads") / "footways.osm"
    path.write_text(osm_xml(corner))
    source = unique("footways")
    r = kukan("import", "osm", str(path), "--source", source, "--no-buildings", url=database_url)
    assert r.returncode == 0 and "2 road edges" in r.stdout, r.stdout + r.stderr
    return Roads(source, corner)
