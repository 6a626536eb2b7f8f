"""No page view changes data: every GET route, opened by the director, a parent and a caregiver, leaves the database as it was.

The routes are every GET route of the app (enumerated); the records in each address are
real ones of the rich world (tests/security/world.py). After each page every column of
every row of every table is compared with the snapshot (`DbWatch`), except what a page
view writes by design, and only that: the tablet's last-action time
(`login_session.acting_seen_at`) and the audit entries of audited reads
("health_record_read" and "child_record_exported"). The last test shows those reads are
really written where they should be, so leaving them out hides nothing else.
"""

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from nursery_ops.audit import AuditEntry
from tests.security.world import object_params
from tests.test_access import ROUTES

PAGES = [route for method, route in ROUTES if method == "GET"]
# Each opens side X's records: the director's, and the parent's and the caregiver's own.
VISITS = [("director", "X"), ("parent_x", "X"), ("caregiver_a", "X")]


@pytest.mark.parametrize("route", PAGES, ids=[route.path for route in PAGES])
def test_opening_a_page_changes_no_data(rich, route):
    problems = []
    for role, side in VISITS:
        url = rich.url(route.path, dict.fromkeys(object_params(route.path), side))
        response = rich.visitors[role].send("GET", url)
        assert response.status_code < 500, f"{role}: GET {url} → {response.status_code}"
        changed = rich.watch.changed_tables()
        if changed:
            rich.watch.restore()
            problems.append(f"{role}: GET {url} ({response.status_code}) changed {', '.join(changed)}")
    assert not problems, "\n".join(problems)


def audited_reads(rich) -> int:
    with Session(rich.engine) as session:
        return session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "health_record_read")).one()


def test_an_audited_read_is_written_and_is_all_a_health_page_writes(rich):
    before = audited_reads(rich)
    x = rich.ids["X"]
    response = rich.visitors["caregiver_a"].send("GET", f"/children/{x['child_id']}/growth")
    assert response.status_code == 200
    assert audited_reads(rich) == before + 1
    assert rich.watch.changed_tables() == []
    rich.watch.restore()
