"""survey_overdue_warning — the WARN the director's dashboard shows: what counts and what does not."""

from datetime import timedelta

from nursery_ops.clock import local_today
from nursery_ops.committee import rules
from nursery_ops.committee.models import ActivityKind
from nursery_ops.committee.service import survey_overdue_warning
from nursery_ops.policy import DEFAULT_POLICY
from tests.committee.conftest import make_activity

TODAY = local_today()


def test_with_nothing_held_both_are_overdue(session, world):
    assert survey_overdue_warning(session, TODAY, DEFAULT_POLICY).message == rules.NO_ACTIVITY_NOR_SURVEY


def test_a_recent_activity_and_survey_mean_no_warning(session, world):
    make_activity(session, world.director, ActivityKind.activity, held_on=TODAY - timedelta(days=30))
    make_activity(session, world.director, ActivityKind.survey, held_on=TODAY - timedelta(days=30))
    assert survey_overdue_warning(session, TODAY, DEFAULT_POLICY) is None


def test_a_void_survey_does_not_count(session, world):
    make_activity(session, world.director, ActivityKind.activity, held_on=TODAY)
    make_activity(session, world.director, ActivityKind.survey, held_on=TODAY, voided_at=world.director.created_at,
                  void_reason="录错")
    assert survey_overdue_warning(session, TODAY, DEFAULT_POLICY).message == rules.NO_SURVEY


def test_the_interval_comes_from_the_policy(session, world):
    make_activity(session, world.director, ActivityKind.activity, held_on=TODAY - timedelta(days=100))
    make_activity(session, world.director, ActivityKind.survey, held_on=TODAY - timedelta(days=100))
    assert survey_overdue_warning(session, TODAY, DEFAULT_POLICY) is None
    stricter = DEFAULT_POLICY.with_values(survey_interval_months=3)
    warning = survey_overdue_warning(session, TODAY, stricter)
    assert warning.message == rules.NO_ACTIVITY_NOR_SURVEY and warning.params == {"months": 3}
