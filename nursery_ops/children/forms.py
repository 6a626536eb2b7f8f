"""Form schemas for the children pages (read with `nursery_ops.forms.parse_form`).

Rules that need the database or the policy (age at registration, "is this an
active guardian of this child") are checked in the service, not here.
"""

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.children.models import Sex
from nursery_ops.enrolment.models import CareType, EnrolmentStatus
from nursery_ops.forms import FieldError, FormModel, not_in_future, phone_number
from nursery_ops.i18n import N_

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def calendar_date(value):
    """A YYYY-MM-DD that names a real day: 2026-02-30 gets its own message, not "bad format"."""
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(N_("This date does not exist in the calendar.")) from None
    return value


Day = Annotated[date, BeforeValidator(calendar_date)]
PastDay = Annotated[date, BeforeValidator(calendar_date), AfterValidator(not_in_future)]
Phone = Annotated[str, Field(max_length=30), AfterValidator(phone_number)]
Name = Annotated[str, Field(min_length=1, max_length=50)]
Relation = Annotated[str, Field(min_length=1, max_length=20)]
Reason = Annotated[str, Field(min_length=2, max_length=500)]

# Offered in the relation field (a datalist): the usual words, free text still allowed.
RELATIONS = ("母亲", "父亲", "祖母", "祖父", "外祖母", "外祖父", "姑姑", "舅舅", "阿姨", "保姆")


class ChildDetailsForm(FormModel):
    full_name: Name
    sex: Sex
    birth_date: PastDay
    allergies: str = Field(default="", max_length=500)
    special_needs: str = Field(default="", max_length=1000)
    feeding_needs: str = Field(default="", max_length=1000)
    feeding_statement_on: PastDay | None = None


class GuardianForm(FormModel):
    full_name: Name
    relation: Relation
    phone: Phone
    may_pick_up: bool = False
    may_view: bool = False


class GuardianLinkForm(FormModel):
    """What may change on an existing guardian link (the name stays; a new person is a new guardian)."""

    relation: Relation
    phone: Phone
    may_pick_up: bool = False
    may_view: bool = False


class NewChildForm(ChildDetailsForm):
    """The child and the first guardian (required), plus an optional second one (fields `g2_*`)."""

    g1_full_name: Name
    g1_relation: Relation
    g1_phone: Phone
    g1_may_pick_up: bool = False
    g1_may_view: bool = False
    g2_full_name: Annotated[str, Field(max_length=50)] | None = None
    g2_relation: Annotated[str, Field(max_length=20)] | None = None
    g2_phone: Phone | None = None
    g2_may_pick_up: bool = False
    g2_may_view: bool = False

    def details(self) -> ChildDetailsForm:
        return ChildDetailsForm.model_validate(self.model_dump(include=set(ChildDetailsForm.model_fields)))

    def guardians(self) -> list[GuardianForm]:
        found = [self._guardian("g1_")]
        if self.g2_full_name or self.g2_phone or self.g2_relation:
            found.append(self._guardian("g2_"))
        return found

    def _guardian(self, prefix: str) -> GuardianForm:
        return GuardianForm(
            full_name=getattr(self, prefix + "full_name"),
            relation=getattr(self, prefix + "relation"),
            phone=getattr(self, prefix + "phone"),
            may_pick_up=getattr(self, prefix + "may_pick_up"),
            may_view=getattr(self, prefix + "may_view"),
        )

    def second_guardian_errors(self) -> dict[str, str]:
        """A second guardian is optional, but once started it needs a name, relation and phone."""
        if not (self.g2_full_name or self.g2_phone or self.g2_relation):
            return {}
        missing = N_("This field is required.")
        return {
            name: missing for name in ("g2_full_name", "g2_relation", "g2_phone") if not getattr(self, name)
        }


class TrustedAdultForm(FormModel):
    full_name: Name
    relation: Relation
    phone: Phone
    may_pick_up: bool = False
    emergency_contact: bool = False


class EndReasonForm(FormModel):
    reason: Reason


class ConsentForm(FormModel):
    """个人信息处理同意 — the guardian's consent to processing the child's personal information."""

    consent_on: PastDay
    guardian_id: int


class VaccinationForm(FormModel):
    """预防接种证查验: sighted on a date, or pending with a deadline (default start + 30 days)."""

    status: Literal["sighted", "pending"]
    checked_on: PastDay | None = None
    due_on: Day | None = None

    def missing_date_errors(self) -> dict[str, str]:
        if self.status == "sighted" and self.checked_on is None:
            return {"checked_on": N_("Enter the date the certificate was seen.")}
        return {}


class ChildFilters(FormModel):
    """The children list's GET filters; anything unreadable is simply ignored (see `read`)."""

    q: Annotated[str, Field(max_length=50)] | None = None
    room: int | None = None
    band: Literal["infant", "toddler", "older"] | None = None
    care_type: CareType | None = None
    status: EnrolmentStatus | Literal["none"] | None = None
