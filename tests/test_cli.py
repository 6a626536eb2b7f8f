"""The command line: migrate, demo, createuser, serve's guard, and bad input."""

import io
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

from nursery_ops import cli
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Person, PersonRole, Role
from nursery_ops.auth.service import password_hasher
from nursery_ops.db import build_engine
from nursery_ops.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite file that DATABASE_URL (already read into the cached settings) points at."""
    url = f"sqlite:///{tmp_path / 'var' / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(get_settings(), "database_url", url)
    return url


@pytest.fixture
def migrated(db_url) -> str:
    cli.migrate(db_url)
    return db_url


def run(argv: list[str], stdin: str = "") -> int:
    """Run the CLI in-process with `stdin` as standard input (not a terminal)."""
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(argv)
    finally:
        sys.stdin = saved


def people(url: str) -> list[Person]:
    engine = build_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Person)).all())
    finally:
        engine.dispose()


def test_migrate_from_another_directory(tmp_path):
    """`python -m nursery_ops migrate` creates the database (and its directory) wherever it runs from."""
    database = tmp_path / "nested" / "nursery.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "nursery_ops", "migrate"],
        cwd=elsewhere,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    engine = build_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert names == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert not (elsewhere / "var").exists()


def test_migrate_twice_is_harmless(db_url, capsys):
    assert run(["migrate"]) == 0
    assert run(["migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_createuser_with_flags(migrated, capsys):
    code = run(
        ["createuser", "--username", "Zhou", "--full-name", "周老师", "--role", "caregiver", "--role", "health",
         "--password-stdin"],
        stdin="long-enough-secret\n",
    )
    assert code == 0, capsys.readouterr().err
    assert "Created zhou" in capsys.readouterr().out

    engine = build_engine(migrated)
    try:
        with Session(engine) as session:
            person = session.exec(select(Person).where(Person.username == "zhou")).one()
            assert person.full_name == "周老师"
            assert person.active
            assert password_hasher.verify("long-enough-secret", person.password_hash)
            roles = set(session.exec(select(PersonRole.role).where(PersonRole.person_id == person.id)).all())
            assert roles == {Role.caregiver, Role.health}
            entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "person")).one()
            assert entry.action == "person_created"
            assert entry.entity_id == person.id
            assert entry.after["username"] == "zhou"
            assert entry.after["roles"] == ["caregiver", "health"]
            assert "password_hash" not in entry.after
    finally:
        engine.dispose()


def test_createuser_prompts_for_the_password(migrated, monkeypatch, capsys):
    answers = iter(["long-enough-secret", "long-enough-secret"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    code = run(["createuser", "--username", "boss", "--full-name", "李园长", "--role", "director"])
    assert code == 0, capsys.readouterr().err
    assert [p.username for p in people(migrated)] == ["boss"]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--role", "caregiver", "--password-stdin"], "short\n", "at least 10 characters"),
        (["--role", "caregiver", "--password-stdin"], "\n", "at least 10 characters"),
        (["--password-stdin"], "long-enough-secret\n", "missing --role"),
    ],
    ids=["short-password", "empty-password", "no-role"],
)
def test_createuser_bad_input(migrated, capsys, argv, stdin, message):
    code = run(["createuser", "--username", "wu", "--full-name", "吴老师", *argv], stdin=stdin)
    assert code != 0
    assert message in capsys.readouterr().err
    assert people(migrated) == []


def test_createuser_refuses_a_taken_username(migrated, capsys):
    argv = ["createuser", "--username", "wu", "--full-name", "吴老师", "--role", "caregiver", "--password-stdin"]
    assert run(argv, stdin="long-enough-secret\n") == 0
    assert run([*argv[:2], "WU", *argv[3:]], stdin="another-long-secret\n") != 0
    assert "already an account named 'wu'" in capsys.readouterr().err
    assert len(people(migrated)) == 1


def test_createuser_passwords_must_match(migrated, monkeypatch, capsys):
    answers = iter(["long-enough-secret", "something-else-entirely"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert run(["createuser", "--username", "wu", "--full-name", "吴老师", "--role", "health"]) != 0
    assert "differ" in capsys.readouterr().err
    assert people(migrated) == []


def test_createuser_unknown_role_is_refused(migrated, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(["createuser", "--username", "wu", "--full-name", "吴", "--role", "parent", "--password-stdin"])
    assert exit_info.value.code != 0
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_prints_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code != 0
    assert "migrate" in capsys.readouterr().err


def test_serve_refuses_an_unmigrated_database(db_url, monkeypatch, capsys):
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("served an unmigrated database"))
    assert run(["serve"]) != 0
    assert "not migrated" in capsys.readouterr().err


def test_serve_passes_host_port_and_workers(migrated, monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)  # serve sets it: undone after the test
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: calls.append((app, kwargs)))
    assert run(["serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3"]) == 0
    app, kwargs = calls[0]
    assert app == "nursery_ops.app:served_app"
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("0.0.0.0", 8123, 3)


def test_serve_caps_the_malloc_arenas_of_itself_and_its_workers(migrated, monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    seen = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: seen.append(os.environ.get("MALLOC_ARENA_MAX")))
    assert run(["serve"]) == 0
    assert seen == [cli.MALLOC_ARENA_MAX]


def test_serve_keeps_the_operators_own_malloc_arena_setting(migrated, monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    assert run(["serve"]) == 0
    assert os.environ["MALLOC_ARENA_MAX"] == "4"


def test_migration_heads_are_the_heads_alembic_finds():
    from alembic.script import ScriptDirectory

    assert cli.migration_heads() == set(ScriptDirectory.from_config(cli.alembic_config()).get_heads())


def test_pending_migrations_on_an_empty_a_migrated_and_an_older_database(db_url):
    assert cli.pending_migrations(db_url)  # no alembic_version table yet
    cli.migrate(db_url)
    assert not cli.pending_migrations(db_url)
    from alembic import command

    command.downgrade(cli.alembic_config(db_url), "-1")
    assert cli.pending_migrations(db_url)


def test_the_command_line_loads_without_alembic():
    """`serve` (and the workers it starts) never import alembic unless a command migrates."""
    code = "import sys, nursery_ops.cli; print('alembic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert result.stdout.strip() == "False"


def test_demo_loads_once(migrated, monkeypatch, capsys):
    """The CLI's side of the demo: load inside one committed transaction, and only the first time."""
    loads = []

    def load_demo(session, today):
        loads.append(today)
        session.add(Person(username="director", full_name="园长", password_hash="x"))

    def demo_loaded(session):
        return session.exec(select(Person).where(Person.username == "director")).first() is not None

    fake = types.ModuleType("nursery_ops.demo")
    fake.load_demo, fake.demo_loaded = load_demo, demo_loaded
    monkeypatch.setitem(sys.modules, "nursery_ops.demo", fake)
    monkeypatch.setattr("nursery_ops.demo", fake, raising=False)

    assert run(["demo"]) == 0
    assert "Loaded the demo nursery" in capsys.readouterr().out
    assert run(["demo"]) == 0
    assert "already loaded" in capsys.readouterr().out
    assert len(loads) == 1
    assert [p.username for p in people(migrated)] == ["director"]


def test_real_demo_loads_on_a_migrated_database(db_url, capsys):
    """The demo nursery fits the migrated schema (not just create_all), and loading it twice is a no-op."""
    assert run(["demo"]) == 0, capsys.readouterr().err
    usernames = {p.username for p in people(db_url)}
    assert {"director", "caregiver", "health", "parent"} <= usernames
    assert run(["demo"]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_the_demo_is_never_mixed_into_a_database_with_real_accounts(migrated, capsys):
    created = run(
        ["createuser", "--username", "director", "--full-name", "真园长", "--role", "director", "--password-stdin"],
        stdin="long-enough-secret\n",
    )
    assert created == 0
    capsys.readouterr()
    assert run(["demo"]) == 0
    assert "loaded only into an empty one" in capsys.readouterr().out
    assert [(p.username, p.full_name) for p in people(migrated)] == [("director", "真园长")]


def test_unusable_database_is_one_clear_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}"  # a directory, not a database file
    monkeypatch.setattr(get_settings(), "database_url", url)
    assert run(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use the database") and "Traceback" not in err


def test_createuser_asks_for_what_is_missing_at_a_terminal(migrated, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["Qian", "钱老师", "caregiver health"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": "long-enough-secret")
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert cli.main(["createuser"]) == 0, capsys.readouterr().err
    assert [(p.username, p.full_name) for p in people(migrated)] == [("qian", "钱老师")]


def test_the_served_app_leaves_what_start_up_loaded_out_of_the_collectors_passes(monkeypatch):
    import gc

    from nursery_ops.app import served_app

    monkeypatch.setattr("nursery_ops.app.create_app", lambda: FastAPI())
    try:
        assert isinstance(served_app(), FastAPI) and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
