"""Alembic owns the schema: migrations run both ways on SQLite and PostgreSQL, and match the models.

PostgreSQL runs when TEST_POSTGRES_URL is set (`.ci/run` sets it); each test
gets a schema of its own, dropped afterwards, so reruns and parallel runs work.
"""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from nursery_ops import schema  # noqa: F401  (all tables)
from nursery_ops.cli import alembic_config
from nursery_ops.db import build_engine
from tests.postgres import postgres_schema

TABLES = set(SQLModel.metadata.tables)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with postgres_schema("test_migrations") as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def differences(url: str) -> list:
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": True, "target_metadata": SQLModel.metadata},
            )
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def test_one_head_with_readable_ids():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1, "branched migrations: merge them"
    for revision in scripts.walk_revisions():
        assert revision.revision.isdigit() and len(revision.revision) == 4, revision.revision


def test_upgrade_downgrade_upgrade(database_url):
    config = alembic_config(database_url)

    command.upgrade(config, "head")
    assert table_names(database_url) == TABLES | {"alembic_version"}

    command.downgrade(config, "base")
    assert table_names(database_url) <= {"alembic_version"}

    command.upgrade(config, "head")
    assert table_names(database_url) == TABLES | {"alembic_version"}


def test_models_match_migrations(database_url):
    command.upgrade(alembic_config(database_url), "head")
    diff = differences(database_url)
    assert diff == [], "models and migrations differ; run `make migration m=...`:\n" + "\n".join(map(str, diff))


def test_partial_unique_index_is_migrated(database_url):
    """A child has at most one open enrolment: the partial unique index must survive migration."""
    command.upgrade(alembic_config(database_url), "head")
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            indexes = {index["name"]: index for index in inspect(connection).get_indexes("enrolment")}
    finally:
        engine.dispose()
    index = indexes["uq_enrolment_open_child"]
    assert index["unique"]
    assert index["column_names"] == ["child_id"]
    where = index.get("dialect_options", {})
    assert any("withdrawn" in str(value) for key, value in where.items() if key.endswith("_where")), where
