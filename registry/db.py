"""Engine and session factories from a database URL, and a transactional scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(
    url: str, *, pool_size: int = 10, connect_timeout: int = 3, pre_ping: bool = True
) -> Engine:
    """Create an engine that fails fast when the DB is down.

    With ``pre_ping`` every checkout costs a round trip to test the connection. Without it
    (the API server) a connection broken by a database restart fails its request once
    (503 with Retry-After); SQLAlchemy then sees a disconnect and invalidates the whole
    pool, so the following requests reconnect.
    """
    return create_engine(
        url,
        pool_pre_ping=pre_ping,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=5,
        connect_args={"connect_timeout": connect_timeout},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Create a session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session; commit on success, roll back on any exception, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
