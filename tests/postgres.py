"""A scratch PostgreSQL schema per test, on the server TEST_POSTGRES_URL names (skipped without it)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text


def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not available: set TEST_POSTGRES_URL")
    return url


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards: yields a URL whose search_path is that schema, so
    everything the test creates (tables, alembic_version) lands there."""
    base = postgres_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
