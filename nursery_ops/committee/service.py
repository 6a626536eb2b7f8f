"""The parent committee: who may read it, loading the page in a fixed number of queries, and every change.

Readers are staff and parents with a child in care today; only the director writes. Each change is
audited in its own transaction; a record entered by mistake is voided with a reason, never deleted.

What parents see of other families: members' names and committee roles (being on the committee is a
public office among the parents: they elect, contact and read the minutes of these people), and nothing
else — not their children's names, relations, phone numbers, nor that their child has left. A member
voided as entered by mistake disappears everywhere a parent looks, meeting attendance included, and so
do void meetings with their minutes. Only guardians who may see their child's information can be
chosen: a guardian barred from it (may_view off) cannot read this page either.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.access import guardian_child_ids
from nursery_ops.children.models import Child, ChildGuardian, Guardian
from nursery_ops.clock import utcnow
from nursery_ops.committee import rules
from nursery_ops.committee.forms import ActivityForm, MeetingForm, MemberForm, NewMemberForm, OpinionForm, ResponseForm
from nursery_ops.committee.models import (
    ActivityKind,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOpinion,
    CommitteeRole,
    ParentActivity,
)
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import Forbidden, NotFound
from nursery_ops.forms import Refused
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Policy
from nursery_ops.rooms.service import holds_place_on

NOT_ELIGIBLE = N_("Choose a guardian of a child in the nursery's care now.")
ALREADY_MEMBER = N_("This guardian is already on the committee for part of that time.")
NO_ATTENDEES = N_("Choose the committee members who attended.")
NOT_MEMBERS_THEN = N_("Choose only people who were committee members on the meeting's date.")
ALREADY_VOID = N_("This entry is void already.")
VOID_NOT_CHANGED = N_("This entry is void; it cannot be changed.")

ROLE_ORDER = {CommitteeRole.chair: 0, CommitteeRole.vice_chair: 1, CommitteeRole.member: 2}
STATUS_ORDER = {rules.TermStatus.active: 0, rules.TermStatus.upcoming: 1, rules.TermStatus.ended: 2}


# ---------------------------------------------------------------- who reads


def may_read(session: Session, me: CurrentPerson, today: date) -> bool:
    """Staff, and guardians whose child is in the nursery's care today (a family that has left no longer reads)."""
    if me.is_staff:
        return True
    if not me.has(Role.parent):
        return False
    child_ids = guardian_child_ids(session, me.person.guardian_id)
    if not child_ids:
        return False
    in_care = select(Enrolment.id).where(col(Enrolment.child_id).in_(child_ids), holds_place_on(today))
    return session.exec(in_care).first() is not None


def require_reader(session: Session, me: CurrentPerson, today: date) -> None:
    if not may_read(session, me, today):
        raise Forbidden()


# ---------------------------------------------------------------- members


@dataclass
class MemberRow:
    member: CommitteeMember
    guardian: Guardian
    term: rules.Term
    status: rules.TermStatus
    children: list[tuple[str, str]] = field(default_factory=list)  # (child's name, relation)


def _care_of(session: Session, guardian_ids: set[int]) -> tuple[dict, dict]:
    """Each guardian's enrolment spans (start, last day) and children (name, relation): one query."""
    spans: dict[int, list[tuple[date, date | None]]] = {}
    children: dict[int, list[tuple[str, str]]] = {}
    if not guardian_ids:
        return spans, children
    rows = session.exec(
        select(ChildGuardian.guardian_id, ChildGuardian.relation, Child.full_name, Enrolment.start_date, Enrolment.end_date)
        .join(Child, Child.id == ChildGuardian.child_id)
        .outerjoin(Enrolment, (Enrolment.child_id == Child.id) & (Enrolment.status != EnrolmentStatus.waitlisted))
        .where(col(ChildGuardian.guardian_id).in_(guardian_ids), col(ChildGuardian.active).is_(True))
        .order_by(Child.full_name)
    ).all()
    for guardian_id, relation, child_name, start, last in rows:
        if start is not None:
            spans.setdefault(guardian_id, []).append((start, last))
        named = children.setdefault(guardian_id, [])
        if (child_name, relation) not in named:
            named.append((child_name, relation))
    return spans, children


def member_rows(session: Session, today: date, *, with_void: bool = False) -> list[MemberRow]:
    """Members with their terms as they stand today: active first, then upcoming, then ended."""
    statement = select(CommitteeMember, Guardian).join(Guardian, Guardian.id == CommitteeMember.guardian_id)
    if not with_void:
        statement = statement.where(col(CommitteeMember.voided_at).is_(None))
    rows = session.exec(statement).all()
    spans, children = _care_of(session, {guardian.id for _member, guardian in rows})
    found = []
    for member, guardian in rows:
        term = rules.member_term(member.from_date, member.to_date, spans.get(guardian.id, []), today)
        found.append(MemberRow(member, guardian, term, term.status(today), children.get(guardian.id, [])))
    found.sort(key=lambda row: (row.member.voided_at is not None, STATUS_ORDER[row.status], ROLE_ORDER[row.member.role],
                                row.member.from_date, row.member.id))
    return found


@dataclass
class GuardianChoice:
    guardian_id: int
    name: str
    children: list[tuple[str, str]]  # (child's name, relation)


def guardian_choices(session: Session, today: date) -> list[GuardianChoice]:
    """Guardians of children in care today (DOMAIN.md: members are guardians of enrolled children)."""
    rows = session.exec(
        select(Guardian.id, Guardian.full_name, Child.full_name, ChildGuardian.relation)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .join(Child, Child.id == ChildGuardian.child_id)
        .join(Enrolment, Enrolment.child_id == Child.id)
        .where(col(ChildGuardian.active).is_(True), col(ChildGuardian.may_view).is_(True), holds_place_on(today))
        .order_by(Child.full_name, ChildGuardian.id)
    ).all()
    choices: dict[int, GuardianChoice] = {}
    for guardian_id, name, child_name, relation in rows:
        choice = choices.setdefault(guardian_id, GuardianChoice(guardian_id, name, []))
        if (child_name, relation) not in choice.children:
            choice.children.append((child_name, relation))
    return list(choices.values())


def _overlaps(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    return start <= (other_end or date.max) and other_start <= (end or date.max)


def _term_refusals(session: Session, guardian_id: int, data: MemberForm, today: date, member_id: int | None) -> dict:
    errors = rules.term_errors(data.from_date, data.to_date)
    if errors:
        return errors
    for row in member_rows(session, today):
        if row.guardian.id != guardian_id or row.member.id == member_id:
            continue
        if _overlaps(data.from_date, data.to_date, row.term.starts, row.term.ends):
            return {"from_date": ALREADY_MEMBER}
    return {}


def add_member(session: Session, me: CurrentPerson, data: NewMemberForm, today: date) -> CommitteeMember:
    if data.guardian_id not in {choice.guardian_id for choice in guardian_choices(session, today)}:
        raise Refused({"guardian_id": NOT_ELIGIBLE})
    errors = _term_refusals(session, data.guardian_id, data, today, None)
    if errors:
        raise Refused(errors)
    member = CommitteeMember(guardian_id=data.guardian_id, role=data.role, from_date=data.from_date, to_date=data.to_date,
                             created_by_id=me.id)
    session.add(member)
    audit.record(session, me.id, "committee_member_added", member, after=audit.snapshot(member))
    session.commit()
    return member


def change_member(session: Session, me: CurrentPerson, member: CommitteeMember, data: MemberForm, today: date) -> None:
    _refuse_void(member)
    errors = _term_refusals(session, member.guardian_id, data, today, member.id)
    if errors:
        raise Refused(errors)
    before = audit.snapshot(member)
    member.role, member.from_date, member.to_date = data.role, data.from_date, data.to_date
    session.add(member)
    audit.record(session, me.id, "committee_member_changed", member, before=before, after=audit.snapshot(member))
    session.commit()


def member_guardian(session: Session, member: CommitteeMember) -> Guardian:
    guardian = session.get(Guardian, member.guardian_id)
    if guardian is None:
        raise NotFound()
    return guardian


# ---------------------------------------------------------------- meetings


def meetings(session: Session, *, with_void: bool = False) -> list[CommitteeMeeting]:
    statement = select(CommitteeMeeting).order_by(col(CommitteeMeeting.held_on).desc(), col(CommitteeMeeting.id).desc())
    if not with_void:
        statement = statement.where(col(CommitteeMeeting.voided_at).is_(None))
    return list(session.exec(statement).all())


def meeting_for_view(session: Session, meeting_id: int, *, with_void: bool) -> CommitteeMeeting:
    """The meeting; a void one only for the director (for everyone else it is not there)."""
    meeting = session.get(CommitteeMeeting, meeting_id)
    if meeting is None or (meeting.voided_at is not None and not with_void):
        raise NotFound()
    return meeting


def attendees(session: Session, meeting: CommitteeMeeting, *, with_void: bool) -> list[tuple[CommitteeMember, Guardian]]:
    """The members present; one voided as entered by mistake only for the director (marked there)."""
    if not meeting.attendee_member_ids:
        return []
    statement = (
        select(CommitteeMember, Guardian).join(Guardian, Guardian.id == CommitteeMember.guardian_id)
        .where(col(CommitteeMember.id).in_(meeting.attendee_member_ids))
    )
    if not with_void:
        statement = statement.where(col(CommitteeMember.voided_at).is_(None))
    rows = session.exec(statement).all()
    return sorted(rows, key=lambda row: (ROLE_ORDER[row[0].role], row[1].full_name))


def _attendee_refusals(session: Session, data: MeetingForm, today: date) -> dict:
    if not data.attendee_ids:
        return {"attendee_ids": NO_ATTENDEES}
    members_then = {row.member.id for row in member_rows(session, today) if row.term.covers(data.held_on)}
    if not set(data.attendee_ids) <= members_then:
        return {"attendee_ids": NOT_MEMBERS_THEN}
    return {}


def _fill_meeting(meeting: CommitteeMeeting, data: MeetingForm) -> None:
    meeting.held_on, meeting.agenda, meeting.minutes = data.held_on, data.agenda, data.minutes
    meeting.attendee_member_ids = sorted(set(data.attendee_ids))
    meeting.staff_attendees = data.staff_attendees


def add_meeting(session: Session, me: CurrentPerson, data: MeetingForm, today: date) -> CommitteeMeeting:
    errors = _attendee_refusals(session, data, today)
    if errors:
        raise Refused(errors)
    meeting = CommitteeMeeting(held_on=data.held_on, agenda=data.agenda, created_by_id=me.id)
    _fill_meeting(meeting, data)
    session.add(meeting)
    audit.record(session, me.id, "committee_meeting_recorded", meeting, after=audit.snapshot(meeting))
    session.commit()
    return meeting


def change_meeting(session: Session, me: CurrentPerson, meeting: CommitteeMeeting, data: MeetingForm, today: date) -> None:
    _refuse_void(meeting)
    errors = _attendee_refusals(session, data, today)
    if errors:
        raise Refused(errors)
    before = audit.snapshot(meeting)
    _fill_meeting(meeting, data)
    session.add(meeting)
    audit.record(session, me.id, "committee_meeting_changed", meeting, before=before, after=audit.snapshot(meeting))
    session.commit()


# ---------------------------------------------------------------- opinions and responses


def opinions(session: Session, *, with_void: bool = False) -> list[CommitteeOpinion]:
    statement = select(CommitteeOpinion).order_by(col(CommitteeOpinion.given_on).desc(), col(CommitteeOpinion.id).desc())
    if not with_void:
        statement = statement.where(col(CommitteeOpinion.voided_at).is_(None))
    return list(session.exec(statement).all())


def add_opinion(session: Session, me: CurrentPerson, data: OpinionForm) -> CommitteeOpinion:
    opinion = CommitteeOpinion(given_on=data.given_on, subject=data.subject, text=data.text, created_by_id=me.id)
    session.add(opinion)
    audit.record(session, me.id, "committee_opinion_recorded", opinion, after=audit.snapshot(opinion))
    session.commit()
    return opinion


def change_opinion(session: Session, me: CurrentPerson, opinion: CommitteeOpinion, data: OpinionForm) -> None:
    _refuse_void(opinion)
    errors = rules.opinion_date_errors(data.given_on, opinion.responded_on)
    if errors:
        raise Refused(errors)
    before = audit.snapshot(opinion)
    opinion.given_on, opinion.subject, opinion.text = data.given_on, data.subject, data.text
    session.add(opinion)
    audit.record(session, me.id, "committee_opinion_changed", opinion, before=before, after=audit.snapshot(opinion))
    session.commit()


def respond(session: Session, me: CurrentPerson, opinion: CommitteeOpinion, data: ResponseForm) -> None:
    """The nursery's written response (书面答复); a corrected response keeps the earlier one in the audit log."""
    _refuse_void(opinion)
    errors = rules.response_errors(opinion.given_on, data.responded_on)
    if errors:
        raise Refused(errors)
    before = audit.snapshot(opinion)
    opinion.response, opinion.responded_on, opinion.responded_by_id = data.response, data.responded_on, me.id
    session.add(opinion)
    audit.record(session, me.id, "committee_opinion_answered", opinion, before=before, after=audit.snapshot(opinion))
    session.commit()


# ---------------------------------------------------------------- parent activities and surveys


def activities(session: Session, *, with_void: bool = False) -> list[ParentActivity]:
    statement = select(ParentActivity).order_by(col(ParentActivity.held_on).desc(), col(ParentActivity.id).desc())
    if not with_void:
        statement = statement.where(col(ParentActivity.voided_at).is_(None))
    return list(session.exec(statement).all())


def _rate(data: ActivityForm) -> int | None:
    percent, errors = rules.satisfaction_rate(data.kind, data.satisfaction_percent, data.satisfied_count,
                                              data.surveyed_count)
    if errors:
        raise Refused(errors)
    return percent


def _fill_activity(activity: ParentActivity, data: ActivityForm, percent: int | None) -> None:
    activity.held_on, activity.kind, activity.title = data.held_on, data.kind, data.title
    activity.participants, activity.results = data.participants, data.results
    activity.satisfaction_percent = percent
    activity.satisfied_count, activity.surveyed_count = data.satisfied_count, data.surveyed_count


def add_activity(session: Session, me: CurrentPerson, data: ActivityForm) -> ParentActivity:
    percent = _rate(data)
    activity = ParentActivity(held_on=data.held_on, kind=data.kind, title=data.title, participants=data.participants,
                              created_by_id=me.id)
    _fill_activity(activity, data, percent)
    session.add(activity)
    audit.record(session, me.id, "parent_activity_recorded", activity, after=audit.snapshot(activity))
    session.commit()
    return activity


def change_activity(session: Session, me: CurrentPerson, activity: ParentActivity, data: ActivityForm) -> None:
    _refuse_void(activity)
    percent = _rate(data)
    before = audit.snapshot(activity)
    _fill_activity(activity, data, percent)
    session.add(activity)
    audit.record(session, me.id, "parent_activity_changed", activity, before=before, after=audit.snapshot(activity))
    session.commit()


def last_held(items: list[ParentActivity], kind: ActivityKind, today: date) -> date | None:
    return max((item.held_on for item in items if item.kind is kind and item.voided_at is None and item.held_on <= today),
               default=None)


def survey_overdue_warning(session: Session, today: date, policy: Policy) -> Decision | None:
    """WARN for /director: no parent activity, or no satisfaction survey, within `survey_interval_months`."""
    last_activity, last_survey = session.exec(
        select(last_held_on(ActivityKind.activity, today), last_held_on(ActivityKind.survey, today))
    ).one()
    return rules.parent_contact_warning(last_activity, last_survey, today, policy.survey_interval_months)


def last_held_on(kind: ActivityKind, today: date):
    """The day of the latest parent activity of `kind` up to `today` (not voided), as a scalar subquery:
    /director reads it with its other single numbers in one statement."""
    return (
        select(func.max(ParentActivity.held_on))
        .where(ParentActivity.kind == kind, col(ParentActivity.voided_at).is_(None), ParentActivity.held_on <= today)
        .scalar_subquery()
    )


# ---------------------------------------------------------------- the page, and voiding


@dataclass
class Board:
    members: list[MemberRow]
    meetings: list[CommitteeMeeting]
    opinions: list[CommitteeOpinion]
    activities: list[ParentActivity]
    last_activity: date | None
    last_survey: date | None
    interval_months: int
    today: date

    @property
    def member_ids(self) -> set[int]:
        """The members this reader sees: a meeting's attendance is counted among them only."""
        return {row.member.id for row in self.members}

    @property
    def warning(self) -> Decision | None:
        return rules.parent_contact_warning(self.last_activity, self.last_survey, self.today, self.interval_months)

    @property
    def activity_due(self) -> date | None:
        return rules.next_due(self.last_activity, self.interval_months)

    @property
    def survey_due(self) -> date | None:
        return rules.next_due(self.last_survey, self.interval_months)


def committee_board(session: Session, today: date, policy: Policy, *, with_void: bool) -> Board:
    """Everything /committee shows, in five queries however long the committee's history."""
    found = activities(session, with_void=with_void)
    return Board(
        members=member_rows(session, today, with_void=with_void),
        meetings=meetings(session, with_void=with_void),
        opinions=opinions(session, with_void=with_void),
        activities=found,
        last_activity=last_held(found, ActivityKind.activity, today),
        last_survey=last_held(found, ActivityKind.survey, today),
        interval_months=policy.survey_interval_months,
        today=today,
    )


KINDS = {
    "members": (CommitteeMember, "committee_member_voided"),
    "meetings": (CommitteeMeeting, "committee_meeting_voided"),
    "opinions": (CommitteeOpinion, "committee_opinion_voided"),
    "activities": (ParentActivity, "parent_activity_voided"),
}


def record_of(session: Session, kind: str, record_id: int):
    """A committee record by its kind's name in the URL (members, meetings, opinions, activities)."""
    model, _action = KINDS[kind]
    row = session.get(model, record_id)
    if row is None:
        raise NotFound()
    return row


def void(session: Session, me: CurrentPerson, kind: str, row, reason: str) -> None:
    if row.voided_at is not None:
        raise Refused({"reason": ALREADY_VOID})
    audit.void(session, me.id, row, KINDS[kind][1], reason, utcnow())
    session.commit()


def _refuse_void(row) -> None:
    if row.voided_at is not None:
        raise Refused({"__all__": VOID_NOT_CHANGED})
