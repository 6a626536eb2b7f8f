"""The command line: `python -m nursery_ops migrate | demo | serve | createuser`.

Every command reads the database from `DATABASE_URL` (see the README); none
depends on the current directory.
"""

import argparse
import getpass
import sys
from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from nursery_ops.settings import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
STAFF_ROLE_NAMES = ("director", "caregiver", "health")
DEMO_PASSWORD = "nursery-demo"  # as in nursery_ops.demo and the README


class CommandError(Exception):
    """Bad input or state: printed as one line, exit status 2."""


def alembic_config(url: str | None = None) -> Config:
    """Alembic's config for our migrations; `url` overrides DATABASE_URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        # ConfigParser interpolates '%': percent-encoded passwords must be escaped.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def database_url() -> str:
    return get_settings().database_url


def migrate(url: str | None = None) -> None:
    """Bring the database to the newest schema (creates the SQLite file and ./var/ if needed)."""
    command.upgrade(alembic_config(url or database_url()), "head")


def pending_migrations(url: str) -> bool:
    """True when the database is not at the newest revision."""
    from nursery_ops.db import build_engine

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    return current != heads


# ---------------------------------------------------------------- commands


def cmd_migrate(_args: argparse.Namespace) -> int:
    url = database_url()
    migrate(url)
    print(f"Database is up to date: {_safe(url)}")
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    from sqlmodel import select

    from nursery_ops import demo
    from nursery_ops.auth.models import Person
    from nursery_ops.clock import local_today
    from nursery_ops.db import build_engine, write_session

    url = database_url()
    migrate(url)
    engine = build_engine(url)
    try:
        with write_session(engine) as session:
            if demo.demo_loaded(session):
                print("The demo nursery is already loaded; nothing changed.")
                return 0
            if session.exec(select(Person.id)).first() is not None:
                # Never mix made-up families into a nursery's real records.
                print("This database already has accounts: the demo nursery is loaded only into an empty one.")
                return 0
            demo.load_demo(session, local_today())
    finally:
        engine.dispose()
    print("Loaded the demo nursery. Sign in as director, caregiver, health or parent")
    print(f"with the password {DEMO_PASSWORD!r}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if pending_migrations(settings.database_url):
        raise CommandError("the database is not migrated: run `python -m nursery_ops migrate` first")
    uvicorn.run(
        "nursery_ops.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Behind a proxy on this machine, trust its X-Forwarded-* headers (sign-in throttling uses the address).
        proxy_headers=True,
    )
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from nursery_ops import audit
    from nursery_ops.auth.models import Person, Role
    from nursery_ops.auth.service import hash_password, set_roles
    from nursery_ops.db import build_engine, write_session
    from nursery_ops.forms import MIN_PASSWORD_LENGTH

    interactive = sys.stdin.isatty() and not args.password_stdin
    username = (args.username or _ask("Username", "--username", interactive)).strip().lower()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise CommandError("the username must be 1 to 64 characters without spaces")
    full_name = (args.full_name or _ask("Full name", "--full-name", interactive)).strip()
    if not full_name or len(full_name) > 100:
        raise CommandError("the full name must be 1 to 100 characters")
    role_names = args.role or _ask("Roles (director caregiver health, space-separated)", "--role", interactive).split()
    unknown = sorted(set(role_names) - set(STAFF_ROLE_NAMES))
    if unknown or not role_names:
        raise CommandError(f"roles must be some of: {', '.join(STAFF_ROLE_NAMES)} (got {' '.join(unknown) or 'none'})")
    roles = {Role(name) for name in role_names}

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")

    engine = build_engine(database_url())
    try:
        with write_session(engine) as session:
            if session.exec(select(Person).where(Person.username == username)).first() is not None:
                raise CommandError(f"there is already an account named {username!r}")
            person = Person(username=username, full_name=full_name, password_hash=hash_password(password))
            session.add(person)
            session.flush()
            set_roles(session, person, roles)
            audit.record(
                session,
                None,
                "person_created",
                person,
                after=audit.snapshot(person, exclude={"password_hash"}) | {"roles": sorted(roles)},
                reason="created with `python -m nursery_ops createuser`",
            )
    finally:
        engine.dispose()
    print(f"Created {username} ({', '.join(sorted(roles))}).")
    return 0


def _ask(prompt: str, option: str, interactive: bool) -> str:
    if not interactive:
        raise CommandError(f"missing {option}: standard input is not a terminal, so pass it as an option")
    return input(f"{prompt}: ")


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m nursery_ops", description="Run and manage the nursery app.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(run=cmd_migrate)
    commands.add_parser("demo", help="migrate, then load the demo nursery (only once)").set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="run the web server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s)")
    serve.add_argument(
        "--workers", type=int, default=settings.workers, help="worker processes (default WORKERS=%(default)s)"
    )
    serve.set_defaults(run=cmd_serve)

    createuser = commands.add_parser("createuser", help="create a staff account")
    createuser.add_argument("--username")
    createuser.add_argument("--full-name")
    createuser.add_argument(
        "--role", action="append", choices=STAFF_ROLE_NAMES, help="director, caregiver or health; repeat for several"
    )
    createuser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    createuser.set_defaults(run=cmd_createuser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"error: cannot use the database {_safe(database_url())}: {error.orig}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("\ncancelled", file=sys.stderr)
        return 130
