"""Demand from a scenario: the same seed gives the same flights, arrivals follow the
asked rate, trips keep to their lengths and the area, hubs gather their origins, and a
scenario that cannot be flown is refused naming why."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from simulation.demand import Hub, Scenario, VehicleType, frame_of, generate

AREA = (139.70, 35.65, 139.80, 35.72)  # about 9 km x 8 km of Tokyo


def _metres(sc: Scenario, lng: float, lat: float) -> tuple[float, float]:
    x, y = frame_of(sc).to_m(np.array([lng]), np.array([lat]))
    return float(x[0]), float(y[0])


def test_the_same_seed_gives_the_same_flights_and_another_seed_others() -> None:
    sc = Scenario(bbox=AREA, duration_s=600, demand_per_hour=600, seed=7)
    assert generate(sc) == generate(sc)
    assert generate(sc) != generate(sc.model_copy(update={"seed": 8}))


@pytest.mark.parametrize("per_hour", [500, 1667, 5053])
def test_arrivals_follow_the_asked_rate(per_hour: int) -> None:
    sc = Scenario(bbox=AREA, duration_s=3600, demand_per_hour=per_hour, seed=3)
    flights = generate(sc)
    assert abs(len(flights) - per_hour) < 5 * math.sqrt(per_hour)  # Poisson: 5 sigma
    times = [f.request_s for f in flights]
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 3600
    assert [f.index for f in flights] == list(range(len(flights)))


def test_trips_keep_to_their_lengths_the_area_and_the_band() -> None:
    sc = Scenario(bbox=AREA, duration_s=1800, demand_per_hour=1000, trip_m=(1000, 3000))
    w, s, e, n = AREA
    for f in generate(sc):
        (ox, oy), (dx, dy) = _metres(sc, *f.origin[:2]), _metres(sc, *f.destination[:2])
        assert 1000 - 1e-6 <= math.hypot(dx - ox, dy - oy) <= 3000 + 1e-6
        for lng, lat, h in (f.origin, f.destination):
            assert w <= lng <= e and s <= lat <= n and 30 <= h <= 150


def test_hubs_gather_their_origins_and_the_mix_keeps_its_shares() -> None:
    hub = Hub(lng=139.75, lat=35.68, radius_m=300)
    mix = [
        VehicleType(name="parcel", share=3, speed_mps=15),
        VehicleType(name="medical", share=1, speed_mps=20, priority=50),
    ]
    sc = Scenario(
        bbox=AREA, origins="hubs", hubs=[hub], mix=mix, demand_per_hour=2000,
        emergency_share=0.1, rogue_share=0.05,
    )  # fmt: skip
    flights = generate(sc)
    hx, hy = _metres(sc, hub.lng, hub.lat)
    assert all(
        math.hypot(*np.subtract(_metres(sc, *f.origin[:2]), (hx, hy))) <= 300.01 for f in flights
    )
    parcel = sum(f.vehicle == "parcel" for f in flights) / len(flights)
    assert 0.70 < parcel < 0.80
    emergencies = [f for f in flights if f.emergency]
    assert 0.07 < len(emergencies) / len(flights) < 0.13
    assert all(f.priority == 100 for f in emergencies)
    assert 0.03 < sum(f.rogue for f in flights) / len(flights) < 0.07


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"bbox": (139.8, 35.65, 139.7, 35.72)}, "west < east"),
        ({"trip_m": (3000, 1000)}, "trip_m"),
        ({"band_m": (150, 30)}, "band_m"),
        ({"origins": "hubs"}, "hub"),
        ({"demand_per_hour": 0}, "greater than 0"),
    ],
)
def test_a_scenario_that_cannot_be_flown_is_refused(change: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Scenario.model_validate({"bbox": AREA, **change})
