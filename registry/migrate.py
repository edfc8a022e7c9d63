"""Schema migrations through alembic's command API, shared by the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An alembic ``Config`` for the migrations directory and database ``url``."""
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, rev: str = "head") -> None:
    """Upgrade the database at ``url`` to revision ``rev``."""
    command.upgrade(alembic_config(url), rev)


def downgrade(url: str, rev: str) -> None:
    """Downgrade the database at ``url`` to revision ``rev`` (``base`` removes everything)."""
    command.downgrade(alembic_config(url), rev)


def head() -> str | None:
    """The head revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None when unmigrated."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
