"""Committee forms (read with `nursery_ops.forms.parse_form`); rules across fields are in `rules`."""

from typing import Annotated

from pydantic import Field

from nursery_ops.children.forms import Day, PastDay, Reason
from nursery_ops.committee.models import ActivityKind, CommitteeRole
from nursery_ops.forms import FormModel
from nursery_ops.i18n import N_

ROLE_LABELS = {
    CommitteeRole.chair: N_("Chair (主任)"),
    CommitteeRole.vice_chair: N_("Vice chair (副主任)"),
    CommitteeRole.member: N_("Member (委员)"),
}
KIND_LABELS = {
    ActivityKind.activity: N_("Parent activity (家长活动)"),
    ActivityKind.survey: N_("Satisfaction survey (满意度调查)"),
}
LISTS = ("attendee_ids",)


Title = Annotated[str, Field(min_length=1, max_length=200)]
Agenda = Annotated[str, Field(min_length=1, max_length=2000)]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]


class MemberForm(FormModel):
    """What may change on a member: the guardian stays (another guardian is another member)."""

    role: CommitteeRole
    from_date: Day
    to_date: Day | None = None


class NewMemberForm(MemberForm):
    guardian_id: int


class MeetingForm(FormModel):
    held_on: PastDay
    attendee_ids: list[int] = Field(default_factory=list)
    staff_attendees: str = Field(default="", max_length=500)
    agenda: Agenda
    minutes: str = Field(default="", max_length=10000)


class OpinionForm(FormModel):
    given_on: PastDay
    subject: Title
    text: LongText


class ResponseForm(FormModel):
    responded_on: PastDay
    response: LongText


class ActivityForm(FormModel):
    held_on: PastDay
    kind: ActivityKind
    title: Title
    participants: int = Field(ge=0, le=100000)
    results: str = Field(default="", max_length=5000)
    satisfaction_percent: int | None = Field(default=None, ge=0, le=100)
    satisfied_count: int | None = Field(default=None, ge=0, le=100000)
    surveyed_count: int | None = Field(default=None, ge=0, le=100000)


class VoidForm(FormModel):
    reason: Reason
