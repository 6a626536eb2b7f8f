"""A parent who guesses ids sees nothing of another family: every parent-visible page answers 404.

The routes are found by walking the app (as tests/test_access.py does), so a new page
a parent can open is checked here without anyone listing it. Each path parameter that
names a family's record is filled with the other family's id (child, photo, contract,
bill, payment, refund): parent_x gets 404 for child_y's, and 200 for child_x's own.
Staff-only pages answer 403 whatever the ids. A route with a parameter this file does
not know fails the test: say here whose record it names.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from nursery_ops.billing.models import Refund, RefundKind
from nursery_ops.children.models import ChildGuardian
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.dailylog.models import EntryKind
from nursery_ops.enrolment.models import Enrolment
from tests import factories as f
from tests.family import builders as b
from tests.test_access import PUBLIC_ROUTES, ROUTES, access_rules

# Path parameters naming one family's record: filled from that family's ids below.
FAMILY_OWNED = {"child_id", "photo_id", "contract_id", "bill_id", "payment_id", "refund_id"}
# Path parameters naming nothing of a family (a date; a committee meeting every parent reads; a chart's name).
NOT_OWNED = {"on": local_today().isoformat(), "meeting_id": None, "indicator": "weight_for_age"}


def rule_of(route) -> set[str]:
    return set(access_rules(route.dependant)[0].split(", "))


def params_of(path: str) -> list[str]:
    return re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path)


GETS = [route for method, route in ROUTES if method == "GET" and (method, route.path) not in PUBLIC_ROUTES]
PARENT_VISIBLE = [route for route in GETS if rule_of(route) & {"parent", "signed-in"}]
STAFF_ONLY = [route for route in GETS if not rule_of(route) & {"parent", "signed-in"}]
# Pages about one family's records: the ones a guessing parent could aim at another family.
FAMILY_PAGES = [route for route in PARENT_VISIBLE if set(params_of(route.path)) & FAMILY_OWNED]
STAFF_FAMILY_PAGES = [route for route in STAFF_ONLY if set(params_of(route.path)) & FAMILY_OWNED]


@dataclass
class FamilyIds:
    """One family's records, with an id for every FAMILY_OWNED parameter."""

    child_id: int
    photo_id: int
    contract_id: int
    bill_id: int
    payment_id: int
    refund_id: int


def family_records(session, world, child, guardian, room, caregiver) -> FamilyIds:
    """A day with a tagged photo, and a signed contract with a bill, a payment and a refund."""
    b.arrival(session, child, room, caregiver)
    b.entry(session, child, room, caregiver, EntryKind.note, text=f"{child.full_name} 的一天")
    photo = b.photo(session, child, room, caregiver, text=f"{child.full_name} 的照片")
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()
    contract = f.make_contract(session, enrolment, world.director, status=ContractStatus.active, guardian_id=guardian.id,
                               guardian_signed_on=enrolment.start_date, director_signed_on=enrolment.start_date)
    first = local_today().replace(day=1)
    bill = f.make_refund_bill(session, contract, world.director, first, first + timedelta(days=27))
    payment = f.make_refund_payment(session, contract, world.director, 10000, first)
    refund = Refund(contract_id=contract.id, child_id=child.id, kind=RefundKind.meals, period_start=first, period_end=first,
                    amount_fen=2000, requested_on=first, due_on=first + timedelta(days=15), recorded_by_id=world.director.id)
    session.add(refund)
    session.flush()
    return FamilyIds(child.id, photo.photo_id, contract.id, bill.id, payment.id, refund.id)


@pytest.fixture
def families(world, session):
    x = family_records(session, world, world.child_x, world.guardian_x, world.room_a, world.caregiver_a)
    y = family_records(session, world, world.child_y, world.guardian_y, world.room_b, world.caregiver_b)
    session.commit()
    return x, y


def url_for(route, ids: FamilyIds, **instead) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in instead:
            return str(instead[name])
        if name in FAMILY_OWNED:
            return str(getattr(ids, name))
        if name in NOT_OWNED:
            return str(NOT_OWNED[name] or 1)
        raise AssertionError(f"{route.path}: whose record is {{{name}}}? Add it to FAMILY_OWNED or NOT_OWNED.")

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, route.path)


def test_the_walk_finds_the_family_pages():
    paths = {route.path for route in FAMILY_PAGES}
    assert {
        "/family/children/{child_id}/days", "/family/children/{child_id}/days/{on}", "/family/children/{child_id}/health",
        "/family/children/{child_id}/growth", "/family/children/{child_id}/money", "/photos/{photo_id}",
        "/contracts/{contract_id}", "/bills/{bill_id}", "/payments/{payment_id}", "/refunds/{refund_id}",
    } <= paths


@pytest.mark.parametrize("route", PARENT_VISIBLE, ids=[route.path for route in PARENT_VISIBLE])
def test_every_parameter_of_a_parent_visible_page_is_known(route):
    unknown = set(params_of(route.path)) - FAMILY_OWNED - set(NOT_OWNED)
    assert not unknown, f"{route.path}: whose record is {unknown}? Add it to FAMILY_OWNED or NOT_OWNED."


@pytest.mark.parametrize("route", FAMILY_PAGES, ids=[route.path for route in FAMILY_PAGES])
def test_a_parent_gets_404_for_another_familys_records_and_200_for_their_own(world, client_for, families, route):
    x, y = families
    parent = client_for(world.parent_x)
    own = parent.get(url_for(route, x))
    assert own.status_code == 200, f"{url_for(route, x)} → {own.status_code}"
    other = parent.get(url_for(route, y))
    assert other.status_code == 404, f"{url_for(route, y)} → {other.status_code}"
    assert "赵小红" not in other.text


@pytest.mark.parametrize("route", FAMILY_PAGES, ids=[route.path for route in FAMILY_PAGES])
def test_one_of_another_familys_ids_among_the_parents_own_is_still_404(world, client_for, families, route):
    x, y = families
    parent = client_for(world.parent_x)
    for name in set(params_of(route.path)) & FAMILY_OWNED:
        url = url_for(route, x, **{name: getattr(y, name)})
        assert parent.get(url).status_code == 404, url


@pytest.mark.parametrize("change", [{"may_view": False}, {"active": False, "ended_at": utcnow(), "ended_reason": "离婚判决"}],
                         ids=["may-not-view", "link-ended"])
@pytest.mark.parametrize("route", FAMILY_PAGES, ids=[route.path for route in FAMILY_PAGES])
def test_a_guardian_not_allowed_to_view_sees_nothing_of_that_child(world, client_for, session, families, route, change):
    x, _y = families
    link = session.exec(select(ChildGuardian).where(ChildGuardian.guardian_id == world.guardian_x.id)).one()
    for key, value in change.items():
        setattr(link, key, value)
    session.add(link)
    session.commit()
    assert client_for(world.parent_x).get(url_for(route, x)).status_code == 404


@pytest.mark.parametrize("route", STAFF_FAMILY_PAGES, ids=[route.path for route in STAFF_FAMILY_PAGES])
def test_staff_pages_about_another_familys_child_are_refused_to_a_parent(world, client_for, families, route):
    _x, y = families
    url = re.sub(r"\{([^}:]+)(?::[^}]*)?\}",
                 lambda match: str(getattr(y, match.group(1), None) or NOT_OWNED.get(match.group(1)) or 1), route.path)
    assert client_for(world.parent_x).get(url).status_code == 403, url


def test_the_family_page_shows_nothing_of_another_family(world, client_for, families):
    html = client_for(world.parent_x).get("/family").text
    _x, y = families
    for other in ("赵小红", "赵小红 的一天", "赵小红 的照片", f"/photos/{y.photo_id}", f"/family/children/{y.child_id}/"):
        assert other not in html, other


def test_a_guardian_of_two_children_opens_the_pages_of_both(world, client_for, session, families):
    sibling = f.make_child(session, "王小丽", months=20)
    f.link_guardian(session, sibling, world.guardian_x)
    f.enrol(session, sibling, world.room_a)
    session.commit()
    parent = client_for(world.parent_x)
    html = parent.get("/family").text
    for child_id in (world.child_x.id, sibling.id):
        assert f'href="/family/children/{child_id}/health"' in html
        for route in FAMILY_PAGES:
            if set(params_of(route.path)) & FAMILY_OWNED == {"child_id"}:
                assert parent.get(url_for(route, families[0], child_id=child_id)).status_code == 200, route.path
