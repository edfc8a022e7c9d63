"""Shared pieces of the ``kukan`` CLI: the one-line-error parser, subcommands, progress bars."""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from api.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


class CliError(Exception):
    """A failure reported as one line on stderr."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the problem and how to get help."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def sub(subs: argparse._SubParsersAction, name: str, help_: str, example: str) -> Parser:
    """A subcommand parser with a description and an example in its help."""
    parser: Parser = subs.add_parser(
        name,
        help=help_,
        description=help_,
        epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def factory(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the configured database (one connection)."""
    from registry.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url, pool_size=1))


@contextmanager
def progress() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """Rich progress bars on stderr: ``report(label, total)`` adds a bar, returns its advance."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        """Items per second."""

        def render(self, task: Task) -> Text:
            """The task's rate, or nothing before it is known."""
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
    )
    console = Console(stderr=True)
    pending: list[Callable[[], None]] = []

    def flush_all() -> None:
        for flush in pending:
            flush()

    with Progress(*columns, console=console, disable=not console.is_terminal) as bars:

        def report(label: str, total: int | None) -> Callable[[int], None]:
            flush_all()
            task = bars.add_task(label, total=total)
            state = {"n": 0, "at": time.monotonic()}

            def flush() -> None:
                if state["n"]:
                    bars.advance(task, state["n"])
                    state["n"] = 0

            def tick(n: int) -> None:
                state["n"] += n  # rich's advance is slow: batch to ~10 updates a second
                now = time.monotonic()
                if now - state["at"] >= 0.1:
                    state["at"] = now
                    flush()

            pending.append(flush)
            return tick

        try:
            yield report
        finally:
            flush_all()


def operator_id_of(session: Session, ref: str) -> uuid.UUID:
    """An operator named by UUID or by its exact name."""
    from sqlalchemy import select

    from registry.errors import NotFound
    from registry.models import Operator

    try:
        return uuid.UUID(ref)
    except ValueError:
        found = session.scalar(select(Operator.id).where(Operator.name == ref))
        if found is None:
            raise NotFound(f"operator {ref!r} not found") from None
        return found
