"""How long one route request may plan: a wall-clock budget kept as one absolute deadline.

A :class:`Budget` is started once per request (:meth:`Budget.started`: the deadline is the
``time.monotonic()`` instant ``seconds`` from then, unless the caller fixed one, e.g. the
API at the request's arrival, for the planning worker that runs it: ``CLOCK_MONOTONIC``
is the same clock in every process of the machine). Every planning step checks it: the
planners get the seconds left, and the steps between searches (network loading, occupancy
reads, re-plans after a lost race) call :meth:`Budget.check`, which raises
``routing.SearchBudgetExceeded`` (422 ``budget_exceeded``) once it has passed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from routing import SearchBudgetExceeded


@dataclass(frozen=True)
class Budget:
    """How long a search may run: wall-clock seconds and node expansions, the absolute
    ``time.monotonic()`` deadline once started, and the memory of its grid."""

    seconds: float = 5.0
    expansions: int = 500_000
    deadline: float | None = None
    grid_bytes: int | None = None
    """The largest static drone grid a plan may build (None: no cap)."""
    dense_span_m: float | None = None
    """Drone routes whose ends lie farther apart are planned hierarchically (None: the
    planner's default)."""

    def started(self) -> Budget:
        """This budget with its deadline set (``seconds`` from now unless already set)."""
        if self.deadline is not None:
            return self
        return replace(self, deadline=time.monotonic() + self.seconds)

    def left(self) -> float:
        """Seconds until the deadline (``seconds`` when not started; never below 0)."""
        if self.deadline is None:
            return self.seconds
        return max(0.0, self.deadline - time.monotonic())

    def check(self, step: str) -> None:
        """Raise ``SearchBudgetExceeded`` when the deadline has passed (before ``step``)."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise SearchBudgetExceeded(
                f"the planning budget of {self.seconds:g} s ran out before {step}"
            )
