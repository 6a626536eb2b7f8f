"""The demo nursery has a committee to read and a filled-in public page."""

from sqlmodel import select

from nursery_ops.auth.models import Person
from nursery_ops.auth.service import CurrentPerson, roles_of
from nursery_ops.clock import local_today
from nursery_ops.committee import rules, service
from nursery_ops.demo import load_demo
from nursery_ops.disclosure.models import Section
from nursery_ops.disclosure.service import current_texts
from nursery_ops.policy import DEFAULT_POLICY


def test_the_demo_committee_has_three_active_members_a_meeting_an_answered_opinion_and_a_survey(session):
    today = local_today()
    load_demo(session, today)
    board = service.committee_board(session, today, DEFAULT_POLICY, with_void=False)
    assert len(board.members) == 3 and {row.status for row in board.members} == {rules.TermStatus.active}
    [meeting] = board.meetings
    assert meeting.minutes and len(meeting.attendee_member_ids) == 3
    assert all(row.term.covers(meeting.held_on) for row in board.members)
    [opinion] = board.opinions
    assert opinion.response and opinion.responded_on >= opinion.given_on
    assert any(activity.satisfaction_percent for activity in board.activities)
    # The last parent activity was seven months ago: the director is warned about it, not about the survey.
    assert service.survey_overdue_warning(session, today, DEFAULT_POLICY).message == rules.NO_ACTIVITY


def test_the_demo_parent_reads_the_committee_and_every_public_section_is_filled_in(session):
    load_demo(session, local_today())
    parent = session.exec(select(Person).where(Person.username == "parent")).one()
    me = CurrentPerson(parent, roles_of(session, parent.id), "token")
    assert service.may_read(session, me, local_today())
    texts = current_texts(session)
    assert set(texts) == set(Section) and all(text.body for text in texts.values())
