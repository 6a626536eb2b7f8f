"""SQL statements per page on a generated nursery (issue 10): none may grow, with history or with the room.

The budget is at most 10 statements per page, the same with 1 month or 3 years of history and with 5 or 20
children in the room. LIMITS holds each page's count as measured (the sign-in's one statement included), so
any further statement fails here; lower a limit when a page gets better. The two tablet writes have no
budget of their own (their latency has one) but are held to their counts the same way; each ends with the
one statement that stamps the tables it wrote (nursery_ops.pagecache).

The nursery is bench.generate's small one (rooms of 20 and 5 children in, one of 5 still to arrive) on a
fixed Wednesday, generated once for the module with 1 and 3 months of history; the counting is
bench.inprocess's, the one `make bench` reports.
"""

import shutil
from datetime import datetime, time

import pytest
import time_machine

from bench.generate import SMALL_NURSERY, Plan, generate
from bench.inprocess import measure
from nursery_ops.db import build_engine
from nursery_ops.settings import get_settings

BUDGET = 10  # issue 10: statements per page
WRITES = {"log_entry", "check_in"}
# The most each sends today, on this nursery with either history. A page may send one statement less on
# another day's data (e.g. medicine due in the room adds one): never more.
LIMITS = {
    "trivial": 0,
    "room_view": 7,
    "room_view_small": 7,
    "child_record": 8,
    "family": 9,
    "director": 10,
    "health": 10,
    "contract": 8,
    "month_report": 6,
    "log_entry": 12,
    "check_in": 17,
}
WEDNESDAY = (2026, 3, 4)
HISTORIES = {"1 month": 30, "3 months": 91}


def morning() -> datetime:
    return datetime.combine(datetime(*WEDNESDAY).date(), time(10, 30), tzinfo=get_settings().zone)


@pytest.fixture(scope="module")
def counts(template_db, tmp_path_factory) -> dict[str, dict]:
    """Statements of each page and write, per history, measured at 10:30 on the Wednesday."""
    measured = {}
    for label, days in HISTORIES.items():
        path = tmp_path_factory.mktemp("bench") / "nursery.db"
        shutil.copy(template_db, path)
        engine = build_engine(f"sqlite:///{path}")
        try:
            with time_machine.travel(morning(), tick=True):
                generate(engine, Plan(rooms=SMALL_NURSERY, history_days=days))
                measured[label] = {name: result for name, result in measure(engine, SMALL_NURSERY, repeats=0).items()
                                   if not name.startswith("_")}
        finally:
            engine.dispose()
    return measured


def test_every_page_and_write_answers_as_its_reader_expects(counts):
    for label, pages in counts.items():
        assert {name: result["status"] for name, result in pages.items()} == {name: 200 for name in LIMITS}, label


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_no_page_sends_more_statements_than_it_does_now(counts, name):
    for label, pages in counts.items():
        assert pages[name]["statements"] <= LIMITS[name], f"{name} with {label} of history"


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_statement_counts_do_not_grow_with_history(counts, name):
    short, long = (counts[label][name]["statements"] for label in HISTORIES)
    assert long <= short, f"{name}: {short} statements with {' and '.join(HISTORIES)} → {long}"


def test_the_room_view_of_20_children_sends_no_more_statements_than_that_of_5(counts):
    for label, pages in counts.items():
        assert pages["room_view"]["statements"] <= pages["room_view_small"]["statements"], label


def test_every_page_is_within_the_budget():
    assert {name: limit for name, limit in LIMITS.items() if name not in WRITES and limit > BUDGET} == {}


def test_ping_answers_ok_without_the_database(anonymous, queries):
    with queries:
        response = anonymous.get("/ping")
    assert (response.status_code, response.text) == (200, "ok")
    assert queries.count == 0
