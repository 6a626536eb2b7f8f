"""The staff register's rules at their edges: sign-ins per post, training totals, security and health staff."""

import pytest

from nursery_ops.auth.models import Role
from nursery_ops.policy import DEFAULT_POLICY
from nursery_ops.staff.models import Employment, Job, TrainingKind
from nursery_ops.staff.rules import health_staff_warning, job_for, security_warning, sign_in_problem, training_totals

FULL, PART = Employment.full_time, Employment.part_time


@pytest.mark.parametrize("job, has_username, refused", [
    (Job.director, False, True), (Job.caregiver, False, True), (Job.health, False, True),
    (Job.security, False, False), (Job.kitchen, False, False), (Job.other, False, False),
    (Job.caregiver, True, False), (Job.security, True, False),
])
def test_only_posts_that_use_the_app_need_a_sign_in(job, has_username, refused):
    assert (sign_in_problem(job, has_username) is not None) is refused


@pytest.mark.parametrize("roles, job", [
    ({Role.caregiver}, Job.caregiver), ({Role.health, Role.caregiver}, Job.health),
    ({Role.director, Role.health}, Job.director), (set(), Job.other),
])
def test_an_account_without_a_recorded_post_takes_it_from_its_roles(roles, job):
    assert job_for(roles) is job


@pytest.mark.parametrize("pre_service, ethics, short", [
    (715, 400, {TrainingKind.pre_service}), (720, 400, set()), (720, 395, {TrainingKind.ethics}),
    (0, 0, {TrainingKind.pre_service, TrainingKind.ethics}),
])
def test_training_is_short_below_72_pre_service_and_40_ethics_hours(pre_service, ethics, short):  # in tenths
    totals = training_totals({TrainingKind.pre_service: pre_service, TrainingKind.ethics: ethics}, DEFAULT_POLICY)
    assert {total.kind for total in totals if total.short} == short


@pytest.mark.parametrize("registered, on_roster, expected, message", [
    (0, 0, 10, "No security guard (保安) is registered as active staff."),
    (0, 0, 0, "No security guard (保安) is registered as active staff."),
    (1, 0, 1, "No security guard (保安) is on today's duty roster."),
    (2, 0, 10, "No security guard (保安) is on today's duty roster."),
    (1, 0, 0, None),  # no child comes (a weekend): nobody needs to be on duty
    (1, 1, 10, None),
    (2, 1, 10, None),
])
def test_at_least_one_security_guard_on_duty_on_a_day_children_come(registered, on_roster, expected, message):
    decision = security_warning(registered, on_roster, expected)
    assert (decision.message if decision else None) == message


@pytest.mark.parametrize("officers, enrolled, warns", [
    ([], 10, True), ([PART], 49, False), ([PART], 50, True), ([FULL], 50, False), ([PART, FULL], 80, False),
    ([FULL], 0, False),
])
def test_a_health_officer_part_time_below_50_children_full_time_from_50(officers, enrolled, warns):
    assert (health_staff_warning(officers, enrolled, DEFAULT_POLICY) is not None) is warns
