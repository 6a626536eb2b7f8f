"""The enrolment forms (parsed with nursery_ops.forms.parse_form)."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from nursery_ops.enrolment.models import CareType, HalfDaySession
from nursery_ops.forms import FormModel, not_in_future

WAITLIST = "waitlist"


class ScheduleFields(FormModel):
    care_type: CareType
    schedule_days: list[int] = []
    half_day_session: HalfDaySession | None = None
    agreement_signed_on: Annotated[date | None, AfterValidator(not_in_future)] = None


class EnrolForm(ScheduleFields):
    start_date: date
    # A room id, or "waitlist" for a place in the queue without a room.
    room: str
    # Blank means today.
    applied_on: Annotated[date | None, AfterValidator(not_in_future)] = None
    override_reason: str | None = Field(default=None, max_length=1000)


class EditForm(ScheduleFields):
    pass


class PlaceForm(FormModel):
    room_id: int
    start_date: date
    override_reason: str | None = Field(default=None, max_length=1000)


class TransferForm(FormModel):
    room_id: int
    on_date: date
    reason: str = Field(min_length=1, max_length=500)
    override_reason: str | None = Field(default=None, max_length=1000)


class WithdrawForm(FormModel):
    end_date: date
    reason: str = Field(min_length=1, max_length=500)
