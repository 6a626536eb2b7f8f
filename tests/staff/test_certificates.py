"""Staff certificates: the director records and voids them; only a valid health certificate counts."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.staff.certificates import certificate_status, certificates_section
from nursery_ops.staff.models import CertificateKind, StaffCertificate


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(StaffCertificate)).one()


def certificate_data(**changes) -> dict:
    today = local_today()
    return {
        "kind": "health", "number": "豫健 2026-0001",
        "issued_on": (today - timedelta(days=30)).isoformat(),
        "valid_until": (today + timedelta(days=335)).isoformat(), **changes,
    }


def url(person) -> str:
    return f"/staff/{person.id}/certificates"


def test_director_records_a_certificate(client_for, world, session):
    client = client_for(world.director)
    assert client.get(url(world.caregiver_a)).status_code == 200
    response = client.post(url(world.caregiver_a), certificate_data())
    assert response.status_code == 303
    fresh(session)
    certificate = session.exec(select(StaffCertificate)).one()
    assert (certificate.person_id, certificate.kind, certificate.recorded_by_id) == (
        world.caregiver_a.id, CertificateKind.health, world.director.id
    )
    page = client.get(url(world.caregiver_a))
    assert "豫健 2026-0001" in page.text and "Valid" in page.text
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions == ["staff_certificate_recorded"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"valid_until": (local_today() - timedelta(days=30)).isoformat()}, "expiry date must be after"),
        ({"valid_until": (local_today() - timedelta(days=31)).isoformat()}, "expiry date must be after"),
        ({"issued_on": (local_today() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"kind": "driving"}, "Choose one of the options"),
        ({"issued_on": ""}, "required"),
    ],
)
def test_bad_certificates_are_refused(client_for, world, session, changes, message):
    response = client_for(world.director).post(url(world.caregiver_a), certificate_data(**changes))
    assert response.status_code == 400 and message in response.text
    assert count(session) == 0


def test_void_with_a_reason(client_for, world, session):
    client = client_for(world.director)
    client.post(url(world.caregiver_a), certificate_data())
    fresh(session)
    certificate = session.exec(select(StaffCertificate)).one()
    void = f"{url(world.caregiver_a)}/{certificate.id}/void"
    for blank in ("", "   "):  # spaces only are no reason either
        refused = client.post(void, {"reason": blank})
        assert refused.status_code == 400 and f'id="void-{certificate.id}-error"' in refused.text
        fresh(session)
        assert session.get(StaffCertificate, certificate.id).voided_at is None
    assert client.post(void, {"reason": "号码录错"}).status_code == 303
    fresh(session)
    voided = session.get(StaffCertificate, certificate.id)
    assert voided.voided_at is not None and voided.void_reason == "号码录错"
    assert session.exec(select(AuditEntry.action)).all() == ["staff_certificate_recorded", "staff_certificate_voided"]
    assert client.post(f"{url(world.caregiver_b)}/{certificate.id}/void", {"reason": "x"}).status_code == 404


def test_only_the_director(client_for, anonymous, world, session):
    for person in (world.caregiver_a, world.health, world.parent_x):
        client = client_for(person)
        assert client.get(url(world.caregiver_a)).status_code == 403
        assert client.post(url(world.caregiver_a), certificate_data()).status_code == 403
    assert anonymous.get(url(world.caregiver_a)).status_code == 303
    assert count(session) == 0


def test_parents_have_no_certificates_page(client_for, world):
    assert client_for(world.director).get(url(world.parent_x)).status_code == 404


@pytest.mark.parametrize(
    ("days_left", "voided", "status"),
    [(46, False, "valid"), (45, False, "expiring"), (0, False, "expiring"), (-1, False, "expired"), (100, True, "voided")],
)
def test_certificate_status(days_left, voided, status):
    today = local_today()
    certificate = StaffCertificate(
        person_id=1, kind=CertificateKind.health, issued_on=today - timedelta(days=300),
        valid_until=today + timedelta(days=days_left), voided_at=today if voided else None,
    )
    assert certificate_status(certificate, today, DEFAULT_POLICY) == status


def test_section_context(session, world):
    section = certificates_section(session, world.caregiver_a.id, local_today(), DEFAULT_POLICY)
    assert section["certificates"] == [] and section["certificate_person_id"] == world.caregiver_a.id
