"""Incident rules at their edges: what blocks closing for every category, and which times are accepted."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nursery_ops.incidents import rules
from nursery_ops.incidents.models import IncidentCategory
from nursery_ops.incidents.rules import (
    BEFORE_INCIDENT,
    GUARDIAN_NOT_NOTIFIED,
    IN_FUTURE,
    NO_CAUSE,
    NO_CORRECTIVE_ACTION,
    NO_POLICE_REPORT,
    NOT_SIGNED_OFF,
    close_blockers,
    follow_up_error,
    hospital_error,
    local_moment,
    needs_police_report,
    occurred_error,
)

EVERYTHING_DONE = {
    "guardian_notified": True,
    "cause": "Wet floor",
    "corrective_action": "Mop and sign",
    "police_reported": False,
    "signed_off": True,
}
ORDINARY = [category for category in IncidentCategory if category is not IncidentCategory.suspected_abuse]


@pytest.mark.parametrize("category", ORDINARY)
def test_an_ordinary_incident_with_every_step_done_may_close(category):
    assert close_blockers(category, **EVERYTHING_DONE) == []


@pytest.mark.parametrize("category", list(IncidentCategory))
@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"guardian_notified": False}, GUARDIAN_NOT_NOTIFIED),
        ({"cause": ""}, NO_CAUSE),
        ({"cause": "   "}, NO_CAUSE),
        ({"corrective_action": ""}, NO_CORRECTIVE_ACTION),
        ({"signed_off": False}, NOT_SIGNED_OFF),
    ],
)
def test_each_missing_step_blocks_closing_in_every_category(category, change, missing):
    done = {**EVERYTHING_DONE, "police_reported": True, **change}
    assert close_blockers(category, **done) == [missing]


@pytest.mark.parametrize(
    ("police_reported", "blockers"),
    [(False, [NO_POLICE_REPORT]), (True, [])],
)
def test_suspected_abuse_needs_the_police_report(police_reported, blockers):
    done = {**EVERYTHING_DONE, "police_reported": police_reported}
    assert close_blockers(IncidentCategory.suspected_abuse, **done) == blockers


def test_nothing_done_lists_every_step_in_order():
    nothing = {"guardian_notified": False, "cause": "", "corrective_action": "", "police_reported": False, "signed_off": False}
    assert close_blockers(IncidentCategory.suspected_abuse, **nothing) == [
        GUARDIAN_NOT_NOTIFIED, NO_CAUSE, NO_CORRECTIVE_ACTION, NO_POLICE_REPORT, NOT_SIGNED_OFF,
    ]
    assert close_blockers(IncidentCategory.fall, **nothing) == [GUARDIAN_NOT_NOTIFIED, NO_CAUSE, NO_CORRECTIVE_ACTION, NOT_SIGNED_OFF]


@pytest.mark.parametrize(("category", "needed"), [(category, category is IncidentCategory.suspected_abuse) for category in IncidentCategory])
def test_only_suspected_abuse_must_go_to_the_police(category, needed):
    assert needs_police_report(category) is needed


NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai
OCCURRED = datetime(2026, 3, 2, 2, 15, 40, tzinfo=UTC)  # 10:15:40 in Shanghai


@pytest.mark.parametrize(
    ("occurred_at", "error"),
    [(NOW - timedelta(minutes=1), None), (NOW, None), (NOW + timedelta(minutes=1), IN_FUTURE)],
)
def test_an_incident_cannot_happen_in_the_future(occurred_at, error):
    assert occurred_error(occurred_at, NOW) == error


@pytest.mark.parametrize(
    ("moment", "error"),
    [
        (datetime(2026, 3, 2, 2, 14, tzinfo=UTC), BEFORE_INCIDENT),
        (datetime(2026, 3, 2, 2, 15, tzinfo=UTC), None),  # the same minute as the incident
        (datetime(2026, 3, 2, 2, 16, tzinfo=UTC), None),
        (NOW, None),
        (NOW + timedelta(minutes=1), IN_FUTURE),
    ],
)
def test_notification_and_police_report_times(moment, error):
    assert follow_up_error(moment, OCCURRED, NOW) == error


@pytest.mark.parametrize(
    ("referral", "hospital", "error"),
    [(False, "", False), (True, "市儿童医院", False), (True, "", True), (True, "  ", True)],
)
def test_a_hospital_referral_says_where(referral, hospital, error):
    assert (hospital_error(referral, hospital) is not None) is error


def test_local_moment_is_the_nursery_wall_clock():
    shanghai = ZoneInfo("Asia/Shanghai")
    moment = local_moment(date(2026, 3, 2), time(10, 15, 59), shanghai)
    assert moment.astimezone(UTC) == datetime(2026, 3, 2, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "every", "reported", "cares", "readable"),
    [
        (IncidentCategory.fall, True, False, False, True),  # the director, the health officer
        (IncidentCategory.fall, False, False, True, True),  # a caregiver of the child's room
        (IncidentCategory.fall, False, False, False, False),  # a caregiver of another room
        (IncidentCategory.fall, False, True, False, True),  # whoever reported it
        (IncidentCategory.suspected_abuse, True, False, False, True),
        (IncidentCategory.suspected_abuse, False, False, True, False),  # not even the child's own caregiver
        (IncidentCategory.suspected_abuse, False, True, True, True),  # the reporter
    ],
)
def test_who_reads_an_incident(category, every, reported, cares, readable):
    assert rules.may_read(category, reads_every_record=every, reported_it=reported, cares_for_child=cares) is readable
