"""The order of the dense drone planner's search attempts (see :mod:`routing.drone`):
the fine grid with a small budget, the multi-resolution graph with ``weight``, then with
``fallback_weight``; a ``no_path`` from the blocks is searched again on the fine grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from routing.errors import NoRoute, SearchBudgetExceeded
from routing.sipp import GridPath


class AttemptSettings(Protocol):
    """The planner settings the attempts read."""

    coarse_levels: int
    weight: float
    fallback_after: int | None
    fallback_weight: float
    max_expansions: int
    fine_first: int


def attempts(
    p: AttemptSettings, run: Callable[[int, float, int], GridPath], span: int
) -> tuple[GridPath, int, float, int]:
    """Run the attempts in order (see the module docstring): the path, its levels and
    weight, and the expansions spent on attempts that gave up."""
    k, w, first = p.coarse_levels, p.weight, p.fallback_after
    first = min(first or p.max_expansions, p.max_expansions)
    attempts: list[tuple[int, float, int]] = []
    if k and p.fine_first:
        attempts.append((0, w, min(p.fine_first + 2 * span, p.max_expansions)))
    attempts.append((k, w, first))
    if first < p.max_expansions:
        attempts.append((k, p.fallback_weight, p.max_expansions))
    spent = 0
    for i, (levels, weight, cap) in enumerate(attempts):
        try:
            return run(levels, weight, cap), levels, weight, spent
        except SearchBudgetExceeded as exc:
            spent += exc.expansions
            if i == len(attempts) - 1:
                raise SearchBudgetExceeded(exc.message, expansions=spent) from None
        except NoRoute as exc:
            if exc.reason != "no_path" or levels == 0:
                raise
            # a squeeze between closed blocks that block centres miss: voxels only
            return run(0, weight, p.max_expansions), 0, weight, spent
    raise AssertionError("unreachable")  # pragma: no cover
