"""Migrations keep a nursery's data: from every earlier revision with rows in every table, to head and back.

tests/test_migrations.py proves the schema (empty databases, both ways; models match). Here the
tables hold rows: ROWS in every table there is at a revision, made from the tables reflected
there (every column filled with a value of its type, foreign keys pointing at the rows of the
tables filled before, enum columns with values the models know). After the upgrade to head every
row must still be there, matched by primary key, with the same values in the columns it had;
references whole; head's models able to read it.

- SQLite, for each revision R: an empty database at R (one file migrated up step by step and
  copied at each revision) gets rows and is upgraded to head. Batch mode re-creates tables:
  the copies must carry the rows.
- PostgreSQL (TEST_POSTGRES_URL): one database climbs the revisions getting rows at each, so
  every migration runs over the rows of every revision before it (a migration from scratch
  per revision would cost a minute).
- Both: with rows in every table at head, one step down and up again keeps the rows of every
  table the step down keeps.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Integer, MetaData, String, Time, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from nursery_ops import schema  # noqa: F401  (all tables)
from nursery_ops.cli import alembic_config
from nursery_ops.db import build_engine
from tests.test_migrations import database_url  # noqa: F401  (fixture: a SQLite file or a PostgreSQL schema)

ROWS = 2
REVISIONS = [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()][::-1]
MODELS = SQLModel.metadata.tables
START = datetime(2025, 3, 3, 8, 30, tzinfo=UTC)

Rows = dict[str, list[dict]]  # table name → its rows, as the database returns them


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="module")
def sqlite_at_revision(tmp_path_factory) -> dict[str, Path]:
    """An empty SQLite database at each revision: one file migrated up step by step, copied at each."""
    folder = tmp_path_factory.mktemp("revisions")
    ladder = folder / "ladder.db"
    files = {}
    for revision in REVISIONS:
        command.upgrade(alembic_config(f"sqlite:///{ladder}"), revision)
        files[revision] = folder / f"{revision}.db"
        shutil.copy(ladder, files[revision])
    return files


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A connection on the app's engine (SQLite pragmas: foreign keys on), committed if all went well.
    Rows written at an old revision stamp no versions: the table for them comes with 0015."""
    engine = build_engine(url, stamp_writes=False)
    try:
        with engine.connect() as connection:
            yield connection
            connection.commit()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- rows made from the reflected tables


def value_for(table_name: str, column, n: int, dialect: str):
    """A valid value for the column in row n: a model's enum value, else one of the column's type, distinct per row."""
    model_column = MODELS[table_name].columns.get(column.name) if table_name in MODELS else None
    if model_column is not None and isinstance(model_column.type, Enum):
        choices = model_column.type.enums
        return choices[n % len(choices)]
    kind = column.type
    if isinstance(kind, Boolean):
        return n % 2 == 1
    if isinstance(kind, Integer):
        return 100 * (n + 1)
    if isinstance(kind, DateTime):
        moment = START + timedelta(days=n, minutes=n)
        # SQLite keeps no zone: the app stores UTC wall time there (nursery_ops.db.UtcDateTime).
        return moment.replace(tzinfo=None) if dialect == "sqlite" else moment
    if isinstance(kind, Date):
        return date(2025, 3, 3) + timedelta(days=n)
    if isinstance(kind, Time):
        return time((8 + n) % 24, n % 60)
    if isinstance(kind, JSON):
        return {"row": n, "kept": ["数据", n]}
    if isinstance(kind, String):
        word = f"{n} {column.name} 王小明"  # the number first: a short column keeps rows distinct
        return word[: kind.length] if kind.length else word
    raise TypeError(f"no sample value for {table_name}.{column.name} ({kind!r}): add it to value_for")


def fill(connection: Connection, tables: MetaData, first: int = 0) -> Rows:
    """ROWS rows in every table there is, parents first, numbered from `first` (values distinct per number).

    Even rows fill every column; odd rows leave every column that may be empty empty (a
    migration making one required must fill it). Row n points at the parent's row n:
    one-to-one links stay one-to-one. Returns the rows added, as the database gives them back.
    """
    dialect = connection.dialect.name
    added: Rows = {}
    for table in tables.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = []
        for n in range(first, first + ROWS):
            row = {}
            sparse = n % 2 == 1
            for column in table.columns:
                if column.primary_key and column.autoincrement is not False and isinstance(column.type, Integer) \
                        and not column.foreign_keys and len(table.primary_key.columns) == 1:
                    continue  # the database numbers it
                row[column.name] = None if sparse and column.nullable else value_for(table.name, column, n, dialect)
            for constraint in table.foreign_key_constraints:
                parent = constraint.referred_table.name
                columns = [element.parent.name for element in constraint.elements]
                if sparse and all(table.columns[name].nullable for name in columns):
                    continue  # left empty above
                if parent == table.name or parent not in added:
                    # A row pointing at its own table, or a parent not filled yet (a cycle): left empty.
                    needed = [name for name in columns if not table.columns[name].nullable]
                    assert not needed, f"{table.name}.{needed} needs a row of {parent}: write this table's rows by hand"
                    row.update(dict.fromkeys(columns, None))
                    continue
                parent_row = added[parent][n % ROWS]
                row.update({element.parent.name: parent_row[element.column.name] for element in constraint.elements})
            rows.append(row)
        inserted = connection.execute(table.insert().returning(*table.columns, sort_by_parameter_order=True), rows)
        added[table.name] = [dict(row) for row in inserted.mappings()]
    return added


def read(connection: Connection, table) -> list[dict]:
    order = list(table.primary_key.columns) or list(table.columns)
    return [dict(row) for row in connection.execute(select(table).order_by(*order)).mappings()]


def tables_now(connection: Connection) -> MetaData:
    reflected = MetaData()
    reflected.reflect(connection)
    return reflected


def missing_or_changed(before: Rows, connection: Connection, now: MetaData) -> list[str]:
    """What of `before` the database (its tables reflected as `now`) no longer holds as it was.

    Columns dropped since then aside; rows are matched by primary key.
    """
    problems = []
    for name, rows in before.items():
        if name not in now.tables:
            problems.append(f"table {name} is gone")
            continue
        table = now.tables[name]
        key = [column.name for column in table.primary_key.columns]
        stored = {tuple(row[column] for column in key): row for row in read(connection, table)}
        for row in rows:
            found = stored.get(tuple(row[column] for column in key))
            if found is None:
                problems.append(f"{name} {dict(zip(key, (row[c] for c in key)))} is gone")
                continue
            changed = {column: (value, found[column]) for column, value in row.items()
                       if column in found and found[column] != value}
            if changed:
                problems.append(f"{name} {dict(zip(key, (row[c] for c in key)))} changed (before, after): {changed}")
    return problems


def unreadable_by_the_models(connection: Connection, names) -> list[str]:
    """Rows head's column types refuse to load (an enum value it no longer knows, a bad timestamp...)."""
    problems = []
    for name in sorted(names):
        try:
            connection.execute(select(MODELS[name])).all()
        except (LookupError, ValueError, TypeError) as error:
            problems.append(f"{name}: {error}")
    return problems


def foreign_key_problems(connection: Connection) -> list:
    """SQLite's own check (PostgreSQL never lets a broken reference in)."""
    if connection.dialect.name != "sqlite":
        return []
    return connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()


def assert_kept(before: Rows, url: str, at_head: bool = True) -> None:
    """The rows are there as they were, references whole, and (at head) the models read them."""
    with connect(url) as connection:
        assert missing_or_changed(before, connection, tables_now(connection)) == []
        assert foreign_key_problems(connection) == []
        if at_head:
            assert unreadable_by_the_models(connection, set(before) & set(MODELS)) == []


def only_what_remains(rows: Rows, now: MetaData) -> Rows:
    """The rows of the tables there still are, in the columns there still are."""
    return {
        name: [{column: value for column, value in row.items() if column in now.tables[name].columns} for row in kept]
        for name, kept in rows.items()
        if name in now.tables
    }


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("revision", REVISIONS)
def test_rows_written_at_each_revision_survive_the_upgrade_to_head_on_sqlite(revision, sqlite_at_revision, tmp_path):
    path = tmp_path / "nursery.db"
    shutil.copy(sqlite_at_revision[revision], path)
    url = f"sqlite:///{path}"
    with connect(url) as connection:
        before = fill(connection, tables_now(connection))
    command.upgrade(alembic_config(url), "head")
    assert_kept(before, url)


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_rows_written_at_every_revision_survive_each_later_migration_on_postgresql(database_url):
    before: Rows = {}
    for number, revision in enumerate(REVISIONS):
        command.upgrade(alembic_config(database_url), revision)
        with connect(database_url) as connection:
            tables = tables_now(connection)  # reflecting is the slow part: once a step
            assert missing_or_changed(before, connection, tables) == [], f"upgrading to {revision}"
            for name, rows in fill(connection, tables, first=number * ROWS).items():
                before.setdefault(name, []).extend(rows)
    assert_kept(before, database_url)


def test_one_step_down_from_head_and_up_again_keeps_the_rows(database_url):
    config = alembic_config(database_url)
    command.upgrade(config, "head")
    with connect(database_url) as connection:
        before = fill(connection, tables_now(connection))
    command.downgrade(config, "-1")
    with connect(database_url) as connection:
        # What the newest revision added goes down with its values; everything else must stay.
        kept = only_what_remains(before, tables_now(connection))
    assert_kept(kept, database_url, at_head=False)
    command.upgrade(config, "head")
    assert_kept(kept, database_url)
