"""A committee for the shared world: family X's mother chairs it, family Y's father is a member;
one meeting with minutes, one opinion answered, one survey."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from nursery_ops.clock import local_today
from nursery_ops.committee.models import (
    ActivityKind,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOpinion,
    CommitteeRole,
    ParentActivity,
)


@dataclass
class Committee:
    chair: CommitteeMember
    member: CommitteeMember
    meeting: CommitteeMeeting
    opinion: CommitteeOpinion
    survey: ParentActivity


def days_ago(days: int):
    return local_today() - timedelta(days=days)


def make_member(session, guardian, by, role=CommitteeRole.member, **fields) -> CommitteeMember:
    member = CommitteeMember(guardian_id=guardian.id, role=role, from_date=fields.pop("from_date", days_ago(20)),
                             created_by_id=by.id, **fields)
    session.add(member)
    session.flush()
    return member


def make_meeting(session, members, by, **fields) -> CommitteeMeeting:
    meeting = CommitteeMeeting(held_on=fields.pop("held_on", days_ago(10)), attendee_member_ids=[m.id for m in members],
                               agenda=fields.pop("agenda", "新学期作息安排"),
                               minutes=fields.pop("minutes", "委员们同意午睡起床时间提前到 14:15。"),
                               staff_attendees=fields.pop("staff_attendees", "李园长"), created_by_id=by.id, **fields)
    session.add(meeting)
    session.flush()
    return meeting


def make_activity(session, by, kind=ActivityKind.survey, **fields) -> ParentActivity:
    activity = ParentActivity(held_on=fields.pop("held_on", days_ago(5)), kind=kind,
                              title=fields.pop("title", "家长满意度调查"), participants=fields.pop("participants", 30),
                              created_by_id=by.id, **fields)
    session.add(activity)
    session.flush()
    return activity


@pytest.fixture
def committee(session, world) -> Committee:
    chair = make_member(session, world.guardian_x, world.director, CommitteeRole.chair)
    member = make_member(session, world.guardian_y, world.director)
    meeting = make_meeting(session, [chair, member], world.director)
    opinion = CommitteeOpinion(given_on=days_ago(8), subject="关于午睡时间的建议", text="建议托大班提前起床。",
                               response="自下周一起 14:15 起床。", responded_on=days_ago(6),
                               responded_by_id=world.director.id, created_by_id=world.director.id)
    session.add(opinion)
    survey = make_activity(session, world.director, satisfaction_percent=93, results="家长对膳食最满意。")
    session.commit()
    return Committee(chair, member, meeting, opinion, survey)
