"""Alembic environment: the models' metadata, the app's engine, batch mode for SQLite.

The database URL comes from the Alembic config when one is set there (tests and
`nursery_ops.cli.alembic_config(url)` pass one), else from the settings
(`DATABASE_URL`).
"""

from alembic import context
from sqlmodel import SQLModel

import nursery_ops.schema  # noqa: F401  (imports every table into SQLModel.metadata)
from nursery_ops.db import UtcDateTime, build_engine
from nursery_ops.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    # The `alembic` command run on pyproject.toml alone has no [alembic] ini section at all.
    if config.file_config.has_section(config.config_ini_section):
        url = config.get_main_option("sqlalchemy.url")
        if url:
            return url
    return get_settings().database_url


def render_item(type_, obj, autogen_context):
    """Render our own column types so the migration imports them by module path."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        autogen_context.imports.add("import nursery_ops.db")
        return "nursery_ops.db.UtcDateTime()"
    return False


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        **kwargs,
    )


def run_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = build_engine(database_url(), stamp_writes=False)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode re-creates tables; with foreign keys on, dropping the old copy
                # would fail or cascade. The pragma only works outside a transaction.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"migration left broken foreign keys: {problems[:10]}")
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
