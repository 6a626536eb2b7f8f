"""Fixtures for the security tests: a frozen morning, one photo directory and one rich world per module.

`morning_clock` and `data_dir` replace tests/conftest.py's per-test ones for every module in
this directory: the world is built once per module, so its clock and its photo files must last
as long as it does.
"""

from datetime import datetime, time

import pytest
import time_machine

from nursery_ops.settings import get_settings
from tests.security.world import Rich, build_rich


@pytest.fixture(scope="module", autouse=True)
def morning_clock():
    """10:30 this morning, frozen for the whole module (replaces tests/conftest.py's ticking clock here):
    the world and every request see the same moment, so no session goes idle and no tablet locks."""
    zone = get_settings().zone
    morning = datetime.combine(datetime.now(zone).date(), time(10, 30), tzinfo=zone)
    with time_machine.travel(morning, tick=False) as traveller:
        yield traveller


@pytest.fixture(scope="module", autouse=True)
def data_dir(tmp_path_factory):
    """One photo directory for the module's world (replaces tests/conftest.py's per-test one here)."""
    directory = tmp_path_factory.mktemp("security-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(get_settings(), "data_dir", directory)
        yield directory


@pytest.fixture(scope="module")
def rich(template_db, tmp_path_factory, data_dir, morning_clock) -> Rich:
    """The world of tests/security/world.py, built once for the module; tests only read it."""
    world = build_rich(template_db, tmp_path_factory.mktemp("security-db") / "nursery.db")
    yield world
    world.browser.close()
    world.watch.connection.close()
    world.engine.dispose()
