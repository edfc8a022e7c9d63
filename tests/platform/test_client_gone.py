"""A client that goes away mid-stream is no server error: its errors (alone, or grouped as
a stream's tasks raise them) are told apart from real ones."""

from __future__ import annotations

import anyio
from starlette.requests import ClientDisconnect

from api.errors import client_went_away


def test_only_a_client_leaving_counts_as_gone() -> None:
    assert client_went_away(anyio.BrokenResourceError())
    assert client_went_away(ClientDisconnect())
    group = BaseExceptionGroup("tasks", [anyio.BrokenResourceError(), anyio.ClosedResourceError()])
    assert client_went_away(group)
    assert not client_went_away(
        BaseExceptionGroup("tasks", [anyio.BrokenResourceError(), KeyError("x")])
    )
    assert not client_went_away(RuntimeError("a bug"))
