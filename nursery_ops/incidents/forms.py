"""Incident forms, the category names, and the body outline's regions."""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from nursery_ops.forms import FieldError, FormModel, required_text
from nursery_ops.i18n import N_
from nursery_ops.incidents.models import IncidentCategory

CATEGORY_LABELS = {
    IncidentCategory.choking: N_("Choking / suffocation (窒息)"),
    IncidentCategory.fall: N_("Fall (跌落 / 摔伤)"),
    IncidentCategory.burn: N_("Burn / scald (烧烫伤)"),
    IncidentCategory.drowning: N_("Drowning (溺水)"),
    IncidentCategory.poisoning: N_("Poisoning (中毒)"),
    IncidentCategory.foreign_body: N_("Foreign body (异物)"),
    IncidentCategory.traffic: N_("Traffic (交通)"),
    IncidentCategory.other: N_("Other"),
    IncidentCategory.suspected_abuse: N_("Suspected abuse or domestic violence (疑似虐待 / 家庭暴力)"),
}
# The audit log's actions on an incident, as the incident page's history names them.
HISTORY_LABELS = {
    "incident_recorded": N_("Recorded"),
    "incident_updated": N_("Corrected"),
    "incident_guardian_notified": N_("Guardian notification recorded"),
    "incident_police_report": N_("Police report recorded"),
    "incident_signed_off": N_("Signed off by the director"),
    "incident_sign_off_cleared": N_("Sign-off cleared by a correction: the director signs again"),
    "incident_closed": N_("Closed"),
}
CATEGORY_CHOICES = [(category.value, text) for category, text in CATEGORY_LABELS.items()]


@dataclass(frozen=True)
class BodyRegion:
    """A tick box of the body list, drawn on the outline as an ellipse or a rounded box (SVG units)."""

    code: str
    label: str
    side: Literal["front", "back", "none"]
    shape: Literal["ellipse", "rect"] = "rect"
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0


# Front view: the child faces the reader, so the child's right side is on the reader's left.
# Back view: the child's left side is on the reader's left.
BODY_REGIONS = [
    BodyRegion("face", N_("Head and face"), "front", "ellipse", 44, 4, 32, 34),
    BodyRegion("neck", N_("Neck and throat"), "front", "rect", 52, 38, 16, 9),
    BodyRegion("chest", N_("Chest"), "front", "rect", 38, 47, 44, 33),
    BodyRegion("abdomen", N_("Abdomen"), "front", "rect", 40, 80, 40, 30),
    BodyRegion("groin", N_("Genital area"), "front", "rect", 42, 110, 36, 16),
    BodyRegion("right_arm", N_("Right arm"), "front", "rect", 21, 49, 15, 60),
    BodyRegion("left_arm", N_("Left arm"), "front", "rect", 84, 49, 15, 60),
    BodyRegion("right_hand", N_("Right hand"), "front", "ellipse", 19, 110, 18, 16),
    BodyRegion("left_hand", N_("Left hand"), "front", "ellipse", 83, 110, 18, 16),
    BodyRegion("right_leg", N_("Right leg"), "front", "rect", 42, 127, 17, 86),
    BodyRegion("left_leg", N_("Left leg"), "front", "rect", 61, 127, 17, 86),
    BodyRegion("right_foot", N_("Right foot"), "front", "ellipse", 36, 214, 23, 13),
    BodyRegion("left_foot", N_("Left foot"), "front", "ellipse", 61, 214, 23, 13),
    BodyRegion("back_of_head", N_("Back of the head"), "back", "ellipse", 44, 4, 32, 34),
    BodyRegion("upper_back", N_("Upper back and shoulders"), "back", "rect", 38, 47, 44, 33),
    BodyRegion("lower_back", N_("Lower back"), "back", "rect", 40, 80, 40, 30),
    BodyRegion("buttocks", N_("Buttocks"), "back", "rect", 42, 110, 36, 16),
    BodyRegion("back_left_arm", N_("Back of the left arm"), "back", "rect", 21, 49, 15, 60),
    BodyRegion("back_right_arm", N_("Back of the right arm"), "back", "rect", 84, 49, 15, 60),
    BodyRegion("back_left_leg", N_("Back of the left leg"), "back", "rect", 42, 127, 17, 86),
    BodyRegion("back_right_leg", N_("Back of the right leg"), "back", "rect", 61, 127, 17, 86),
    BodyRegion("internal", N_("Internal (swallowed or breathed in)"), "none"),
]
BODY_REGION_LABELS = {region.code: region.label for region in BODY_REGIONS}


def known_regions(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if code not in BODY_REGION_LABELS]
    if unknown:
        raise FieldError(N_("Choose one of the options."))
    # In the list's order, once each: the same record however the boxes were ticked.
    return [region.code for region in BODY_REGIONS if region.code in codes]


Text = Annotated[str, Field(max_length=2000)]


class IncidentDetailsForm(FormModel):
    """What happened: recorded at first, corrected later (each correction audited)."""

    category: IncidentCategory
    occurred_on: dt.date
    occurred_time: dt.time
    place: Annotated[str, AfterValidator(required_text)] = Field(max_length=200)
    body_parts: Annotated[list[str], AfterValidator(known_regions)] = Field(default_factory=list)
    description: Annotated[str, AfterValidator(required_text)] = Field(max_length=2000)
    first_aid: Text = ""
    staff_present: list[int] = Field(default_factory=list)
    hospital_referral: bool = False
    hospital: str = Field(default="", max_length=200)
    cause: Text = ""
    corrective_action: Text = ""


class NewIncidentForm(IncidentDetailsForm):
    child_id: int
    # Random per rendered form: the same token twice is a double submit.
    form_token: str | None = Field(default=None, max_length=64)


class NotificationForm(FormModel):
    """监护人告知 — when and how the guardian was told."""

    notified_on: dt.date
    notified_time: dt.time
    how: Annotated[str, AfterValidator(required_text)] = Field(max_length=200)


class PoliceReportForm(FormModel):
    """报警记录 — the report of a suspected abuse to the police."""

    reported_on: dt.date
    reported_time: dt.time
    station: Annotated[str, AfterValidator(required_text)] = Field(max_length=200)
    reference: Annotated[str, AfterValidator(required_text)] = Field(max_length=100)


class SignOffForm(FormModel):
    remarks: str = Field(default="", max_length=1000)


class IncidentFilters(FormModel):
    status: Literal["open", "closed"] | None = None
    category: IncidentCategory | None = None
