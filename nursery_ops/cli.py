"""The command line: `python -m nursery_ops migrate | demo | serve | createuser | reset-two-step | backup | restore | purge`.

Every command reads the database from `DATABASE_URL` (see the README); none
depends on the current directory.
"""

import argparse
import ast
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from nursery_ops.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
STAFF_ROLE_NAMES = ("director", "caregiver", "health")
DEMO_PASSWORD = "nursery-demo"  # as in nursery_ops.demo and the README


class CommandError(Exception):
    """Bad input or state: printed as one line, exit status 2."""


def alembic_config(url: str | None = None) -> "Config":
    """Alembic's config for our migrations; `url` overrides DATABASE_URL."""
    # Imported here, as every alembic import below: `serve` must not carry alembic (~0.25 s, ~8 MB) into the worker.
    from alembic.config import Config

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
    from alembic import command

    command.upgrade(alembic_config(url or database_url()), "head")


def migration_heads() -> set[str]:
    """The newest revisions of migrations/versions/, read from each file's `revision` and `down_revision`
    without importing alembic or running the files (what Alembic's ScriptDirectory.get_heads() answers)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values = {}
        for node in ast.parse(path.read_bytes(), str(path)).body:
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value is not None:
                values[target.id] = ast.literal_eval(node.value)
        if "revision" not in values:
            continue  # not a migration
        revisions.add(values["revision"])
        down = values.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    return revisions - parents


def pending_migrations(url: str) -> bool:
    """True when the database is not at the newest revision."""
    from sqlalchemy import inspect, text

    from nursery_ops.db import build_engine

    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            current = set()
            if inspect(connection).has_table("alembic_version"):
                current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    return current != migration_heads()


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


MALLOC_ARENA_MAX = "2"
M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at 2, unless MALLOC_ARENA_MAX is already set.

    Pages run on anyio's worker threads, and glibc gives each allocating thread an arena of its
    own (up to 8 per core) that keeps what it freed: ~10 MB of a worker's memory after a few hundred
    requests (issue 10). The environment reaches the spawned workers; this process, which serves
    alone with one worker, takes it through mallopt.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return  # the operator's own setting, read by glibc at start
    os.environ["MALLOC_ARENA_MAX"] = MALLOC_ARENA_MAX
    if sys.platform == "linux":
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, int(MALLOC_ARENA_MAX))
        except (OSError, AttributeError):
            pass  # not glibc (e.g. musl): it has no per-thread arenas to cap


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if pending_migrations(settings.database_url):
        raise CommandError("the database is not migrated: run `python -m nursery_ops migrate` first")
    fewer_malloc_arenas()
    uvicorn.run(
        "nursery_ops.app:served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Behind a proxy on this machine, trust its X-Forwarded-* headers (sign-in throttling uses the address).
        proxy_headers=True,
        # No route takes a WebSocket: no websockets library in every worker.
        ws="none",
        # A line per request costs a tenth of a kept page's time; the audit log records who did what.
        access_log=settings.access_log,
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


def cmd_backup(args: argparse.Namespace) -> int:
    from nursery_ops import backup

    settings = get_settings()
    directory = args.to or backup.default_backup_dir(settings.data_dir)
    try:
        path = backup.create_backup(settings.database_url, settings.data_dir, directory)
        removed = backup.prune_backups(directory, args.keep) if args.keep is not None else []
    except backup.BackupError as error:
        raise CommandError(str(error)) from error
    print(path)
    for old in removed:
        print(f"Removed the older backup {old}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from nursery_ops import backup

    settings = get_settings()
    try:
        report = backup.restore_backup(args.archive, settings.database_url, settings.data_dir, force=args.force)
    except backup.BackupError as error:
        raise CommandError(str(error)) from error
    print(f"Restored {args.archive} into {report.database}, and {report.files} stored files into {settings.data_dir}.")
    if report.mismatches:
        print("error: the restored row counts differ from the backup's manifest:", file=sys.stderr)
        for line in report.mismatches:
            print(f"  {line}", file=sys.stderr)
        return 1
    rows = sum(report.row_counts.values())
    print(f"Row counts match the backup in all {len(report.row_counts)} tables ({rows} rows).")
    if report.migrated_to:
        print(f"The backup was at database revision {report.backup_revision}: migrated it to {report.migrated_to}.")
    return 0


def _keep_count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(value)


def cmd_purge(args: argparse.Namespace) -> int:
    """Remove what is past retention (nursery_ops.retention): a dry run unless --yes."""
    from nursery_ops import retention
    from nursery_ops.clock import local_today
    from nursery_ops.db import build_engine, open_session
    from nursery_ops.policy import load_policy

    today = local_today()
    engine = build_engine(database_url())
    try:
        with open_session(engine, write=False) as session:
            policy = load_policy(session)
            due = _due(session, args.child, today, policy)
            plans = [] if args.yes else [retention.plan_purge(session, item) for item in due]
        if not args.yes:
            for plan in plans:
                print("\n".join(_plan_lines(plan)))
            if plans:
                print(f"Dry run: nothing changed. Run again with --yes to purge {len(plans)} child(ren).")
            return 0
        failures = 0
        for item in due:
            with open_session(engine, write=True) as session:
                try:
                    plan = retention.purge_child(session, item.child_id, today, policy)
                except retention.NotDue as refusal:
                    message = _not_due(refusal.standing, policy.retention_years)
                except retention.RetentionError as error:
                    message = f"child {item.child_id} was not purged (nothing of it changed): {error}"
                else:
                    print("\n".join(_plan_lines(plan, done=True)))
                    continue
            if args.child is not None:
                raise CommandError(message)
            # One child's odd records must not hold back the others' purge night after night.
            print(f"error: {message}", file=sys.stderr)
            failures += 1
        if due:
            print(f"Purged {len(due) - failures} child(ren); each has a retention_purge entry in the audit log.")
        return 1 if failures else 0
    finally:
        engine.dispose()


def _due(session, child_id: int | None, today, policy) -> list:
    """The standings to purge: every child due, or the one asked for (refused unless due)."""
    from nursery_ops import retention
    from nursery_ops.errors import NotFound

    if child_id is None:
        due = [item for item in retention.standings(session, today, policy) if item.due]
        if not due:
            print(f"Nothing is past retention ({policy.retention_years} years after a child left).")
        return due
    try:
        item = retention.child_standing(session, child_id, today, policy)
    except NotFound:
        raise CommandError(f"there is no child with id {child_id}") from None
    if item.purged:
        print(f"Child {child_id} is already purged; nothing to do.")
        return []
    if not item.due:
        raise CommandError(_not_due(item, policy.retention_years))
    return [item]


def _not_due(item, years: int) -> str:
    if item.left_on is None:
        return (f"child {item.child_id} is not past retention: it has a current or future place or is on the "
                "waitlist, so it has not left")
    return (f"child {item.child_id} is not past retention: its last day is {item.left_on}, its records are kept "
            f"until {item.keep_until} ({years} years); it can be purged from the day after")


def _plan_lines(plan, *, done: bool = False) -> list[str]:
    counts = plan.counts()

    def listed(group: dict) -> str:
        return ", ".join(f"{name} {count}" for name, count in group.items()) or "-"

    verb = ("deleted", "pseudonymised", "kept (accounting)") if done else ("delete", "pseudonymise", "keep (accounting)")
    lines = [
        f"Child {plan.child_id}: left on {plan.standing.left_on}, kept until {plan.standing.keep_until}",
        f"  {verb[0]}: {listed(counts['deleted'])}",
        f"  {verb[1]}: {listed(counts['pseudonymised'])}",
        f"  {verb[2]}: {listed(counts['kept'])}",
    ]
    if counts["unlinked"]:
        lines.append(f"  references cleared: {listed(counts['unlinked'])}")
    if counts["moved_to_another_child"]:
        lines.append(f"  group photo entries moved to another child tagged: {listed(counts['moved_to_another_child'])}")
    lines.append(f"  audit entries whose before/after are cleared: {counts['audit_entries_cleared']}; "
                 f"photo files: {counts['photo_files']}")
    return lines


def cmd_reset_two_step(args: argparse.Namespace) -> int:
    """The way back in for the only director whose phone is lost (the web reset needs a signed-in director)."""
    from nursery_ops.auth import two_step
    from nursery_ops.auth.models import Person
    from nursery_ops.db import build_engine, write_session

    reason = args.reason.strip()
    if not reason:
        raise CommandError("give the reason with --reason")
    engine = build_engine(database_url())
    try:
        with write_session(engine) as session:
            person = session.exec(select(Person).where(Person.username == args.username.strip().lower())).first()
            if person is None:
                raise CommandError(f"there is no account named {args.username!r}")
            ended = two_step.reset(session, None, person, f"{reason} (reset with `python -m nursery_ops reset-two-step`)")
    finally:
        engine.dispose()
    if ended:
        print(f"Two-step sign-in of {person.username} is reset: they sign in with the password and can set it up again.")
    else:
        print(f"{person.username} had no two-step sign-in; nothing changed.")
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

    reset_two_step = commands.add_parser(
        "reset-two-step", help="end an account's two-step sign-in (a lost phone), when no director can sign in to do it"
    )
    reset_two_step.add_argument("username")
    reset_two_step.add_argument("--reason", required=True, help="why (kept in the audit log)")
    reset_two_step.set_defaults(run=cmd_reset_two_step)

    purge = commands.add_parser(
        "purge", help="remove children's records past retention (a dry run unless --yes)",
        description="List (or with --yes remove) what is kept longer than retention_years after a child left.",
    )
    purge.add_argument("--child", type=int, metavar="ID", help="only this child; refused when not past retention")
    purge.add_argument("--yes", action="store_true", help="really remove (without it, only list what is due)")
    purge.set_defaults(run=cmd_purge)

    backup = commands.add_parser("backup", help="write one archive of the database and the stored files")
    backup.add_argument("--to", type=Path, help="directory for the archive (default DATA_DIR/backups)")
    backup.add_argument("--keep", type=_keep_count, metavar="N", help="then delete the oldest backups there beyond N")
    backup.set_defaults(run=cmd_backup)

    restore = commands.add_parser("restore", help="put a backup archive back into DATABASE_URL and DATA_DIR")
    restore.add_argument("archive", type=Path, help="a nursery-backup-*.tar.gz file")
    restore.add_argument("--force", action="store_true", help="replace a database that already has data")
    restore.set_defaults(run=cmd_restore)
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
