"""The dashboard's tests: a quiet world (no alert of its own) and the nursery's clock set to a time of day."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from nursery_ops.attendance.rules import REQUIRED_TO_WORK
from nursery_ops.auth.models import Person
from nursery_ops.clock import local_today
from nursery_ops.committee.models import ActivityKind, ParentActivity
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.health.models import HearingResult
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import Job, StaffCertificate, StaffProfile
from tests import factories as f

EVERY_DAY = "1234567"


def local_moment(hour: int, minute: int = 0) -> datetime:
    """Today at a local wall-clock time, as UTC."""
    return datetime.combine(local_today(), time(hour, minute), tzinfo=get_settings().zone).astimezone(UTC)


@pytest.fixture(autouse=True)
def clock_at(morning_clock):
    """clock_at(hour, minute) stops the clock today at that local time; returns the moment, in UTC.

    Every dashboard test starts at 09:00: before the absence cut-off, the midday check and the
    outdoor warning, so only the alert under test shows.
    """

    def at(hour: int, minute: int = 0) -> datetime:
        moment = local_moment(hour, minute)
        morning_clock.move_to(moment, tick=False)
        return moment

    at(9, 0)
    return at


def admitted(session, child, room, guardian_name="家长", **enrol_fields):
    """An enrolled child with a complete admission, so only the alert under test shows."""
    enrolment = f.enrol(session, child, room, **enrol_fields)
    guardian = f.make_guardian(session, child, guardian_name)
    f.complete_admission(session, child, enrolment, guardian)
    screened_at_entry(session, child, enrolment)
    return enrolment


def screened_at_entry(session, child, enrolment):
    """Haemoglobin and hearing screened at the start, so no yearly screening is due for a year."""
    f.make_exam(session, child, enrolment.start_date - timedelta(days=1), haemoglobin_g_l=120, hearing=HearingResult.passed)


def certify(session, person, valid_until=None, kinds=REQUIRED_TO_WORK):
    """The certificates needed to work with children, valid for a year unless `valid_until` says otherwise."""
    for kind in kinds:
        session.add(StaffCertificate(person_id=person.id, kind=kind, number=f"{kind.value}-{person.id}",
                                     issued_on=local_today() - timedelta(days=30),
                                     valid_until=valid_until or local_today() + timedelta(days=365)))


def staffed(session, world):
    """Every caregiver and the health officer certified, a security guard (保安) registered, and all of them
    on today's roster, the caregivers in their rooms: no staff alert."""
    for person in (world.caregiver_a, world.caregiver_b, world.health):
        certify(session, person)
    guard = Person(full_name="王保安")
    session.add(guard)
    session.flush()
    session.add(StaffProfile(person_id=guard.id, job=Job.security))
    certify(session, guard)
    world.security = guard
    f.roster(session, world.caregiver_a, local_today(), world.room_a)
    f.roster(session, world.caregiver_b, local_today(), world.room_b)
    f.roster(session, guard, local_today())


@pytest.fixture
def quiet_world(world, session):
    """The shared world, every day of the week, with both admissions complete: no alerts of its own."""
    for child, guardian in ((world.child_x, world.guardian_x), (world.child_y, world.guardian_y)):
        enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()
        enrolment.schedule_days = EVERY_DAY
        session.add(enrolment)
        f.complete_admission(session, child, enrolment, guardian)
        screened_at_entry(session, child, enrolment)
    staffed(session, world)
    for kind in ActivityKind:  # a parent activity and a satisfaction survey within 6 months
        session.add(ParentActivity(held_on=local_today() - timedelta(days=30), kind=kind, title="家长开放日", participants=12,
                                   satisfaction_percent=95 if kind is ActivityKind.survey else None,
                                   created_by_id=world.director.id))
    session.commit()
    return world
