"""The ``kukan`` command line: serve, migrate, keys, operators, import, id, demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from api import cli_authority, cli_demo, cli_id, cli_import, cli_route, cli_simulate
from api.cli_common import CliError, Parser, factory, operator_id_of, sub
from api.settings import Settings

if TYPE_CHECKING:
    pass

# Heavy imports (SQLAlchemy, the registry) happen inside the commands, so that
# `kukan --help` and argument errors answer at once.


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    """Run the API with uvicorn."""
    import uvicorn

    host, port = args.host or settings.host, args.port or settings.port
    os.environ["KUKAN_DATABASE_URL"] = settings.database_url
    uvicorn.run("api.app:app_from_env", factory=True, host=host, port=port, workers=args.workers)


def cmd_db(args: argparse.Namespace, settings: Settings) -> None:
    """Migrate the schema."""
    from registry import migrate

    if args.action == "upgrade":
        migrate.upgrade(settings.database_url, args.rev or "head")
    elif args.action == "downgrade":
        migrate.downgrade(settings.database_url, args.rev)
    rev = migrate.current(settings.database_url)
    print(f"database {_safe_url(settings.database_url)} is at revision {rev or 'base'}")


def cmd_keys(args: argparse.Namespace, settings: Settings) -> None:
    """Create a principal and its API key; the token is the last line."""
    from registry.db import session_scope
    from registry.services import principals

    with session_scope(factory(settings)) as session:
        op_id = operator_id_of(session, args.operator) if args.operator else None
        principal, token = principals.create_principal(
            session=session, actor=None, name=args.name, role=args.role, operator_id=op_id
        )
    print(f"created {principal.role} principal {principal.name!r} id={principal.id}")
    print("bearer token (shown only this once):")
    print(token)


def cmd_operators(args: argparse.Namespace, settings: Settings) -> None:
    """Create an operator and print its id."""
    from registry.db import session_scope
    from registry.services import operators

    with session_scope(factory(settings)) as session:
        operator = operators.create_operator(session=session, actor=None, name=args.name)
    print(f"created operator {operator.name!r}")
    print(operator.id)


def build_parser() -> Parser:
    """The argument parser of ``kukan``."""
    parser = Parser(
        prog="kukan",
        description="Kukan: 3D spatial IDs, a vehicle registry and 4D reservations. "
        "The database is KUKAN_DATABASE_URL, else the private cluster of `make run`.",
        epilog="example: kukan keys create --role admin --name ops-admin",
    )
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub(subs, "serve", "run the HTTP API", "kukan serve --host 127.0.0.1 --port 8000")
    serve.add_argument("--host", help="address to bind (default KUKAN_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default KUKAN_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(func=cmd_serve)

    db = sub(subs, "db", "migrate the database schema", "kukan db upgrade")
    db_subs = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = sub(db_subs, "upgrade", "upgrade the schema (default: to head)", "kukan db upgrade")
    up.add_argument("rev", nargs="?", help="target revision (default head)")
    down = sub(db_subs, "downgrade", "downgrade the schema", "kukan db downgrade base")
    down.add_argument("rev", help="target revision, e.g. base or -1")
    sub(db_subs, "current", "print the schema revision", "kukan db current")
    db.set_defaults(func=cmd_db, rev=None)

    keys = sub(subs, "keys", "manage API keys", "kukan keys create --role admin --name me")
    keys_subs = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = sub(
        keys_subs,
        "create",
        "create a principal with a bearer token (printed alone on the last line)",
        "kukan keys create --role operator --name ops --operator 'Demo Drones'",
    )
    create.add_argument("--role", required=True, help="operator, fleet, municipality or admin")
    create.add_argument("--name", required=True, help="a name for the principal")
    create.add_argument("--operator", help="operator id or name (required for operator, fleet)")
    keys.set_defaults(func=cmd_keys)

    ops = sub(subs, "operators", "manage operators", "kukan operators create 'Sky Deliveries'")
    ops_subs = ops.add_subparsers(dest="action", required=True, metavar="ACTION")
    op_create = sub(ops_subs, "create", "create an operator", "kukan operators create 'Sky Co'")
    op_create.add_argument("name", help="the operator's unique name")
    ops.set_defaults(func=cmd_operators)

    for module in (cli_import, cli_id, cli_demo, cli_route, cli_authority, cli_simulate):
        module.add_parsers(subs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kukan`` console script."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace, Settings], None] = args.func
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from registry.errors import RegistryError

    try:
        settings = Settings()
        func(args, settings)
    except (RegistryError, CliError, ValueError) as exc:
        print(f"kukan: error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"kukan: error: cannot use the database: {reason}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"kukan: error: database error: {type(exc).__name__}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"kukan: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
