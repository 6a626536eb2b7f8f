"""Forms of the health day: midday check, observation, illness start and steps, outbreak report; and their labels."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from nursery_ops.attendance.forms import temperature
from nursery_ops.attendance.rules import parse_temperature, temperature_error
from nursery_ops.forms import FieldError, FormModel
from nursery_ops.i18n import N_
from nursery_ops.illness.models import (
    IllnessOutcome,
    MiddayOutcome,
    OutbreakRule,
    ReportedTo,
    Skin,
    Spirits,
    Symptom,
)
from nursery_ops.illness.rules import parse_clock, parse_symptoms


def optional_temperature(text: str | None) -> int | None:
    """The morning check's reading and limits (attendance.rules), when a temperature was taken."""
    if text is None:
        return None
    tenths = parse_temperature(text)
    if (message := temperature_error(tenths)) is not None:
        raise FieldError(message)
    return tenths


def clock_time(text: str | None) -> dt.time | None:
    if text is None:
        return None
    if (parsed := parse_clock(text)) is None:
        raise FieldError(N_("Enter a time as HH:MM."))
    return parsed


class TokenForm(FormModel):
    # Random per rendered form: the same token twice is a double tap.
    form_token: str | None = Field(default=None, max_length=40)


class MiddayCheckForm(TokenForm):
    temperature: Annotated[str, AfterValidator(temperature)]
    spirits: Spirits
    skin: Skin
    notes: str = Field(default="", max_length=500)
    outcome: MiddayOutcome
    # With "ill": what the illness starts with.
    symptoms: list[str] = Field(default_factory=list)

    @field_validator("symptoms")
    @classmethod
    def _known(cls, codes: list[str]) -> list[str]:
        return [symptom.value for symptom in parse_symptoms(codes)]


class ObservationForm(TokenForm):
    text: str = Field(max_length=1000)
    temperature: Annotated[str | None, AfterValidator(optional_temperature)] = None
    time: Annotated[str | None, AfterValidator(clock_time)] = None


class IllnessStartForm(TokenForm):
    symptoms: list[str] = Field(default_factory=list, validate_default=True)
    symptom_note: str = Field(default="", max_length=500)
    temperature: Annotated[str | None, AfterValidator(optional_temperature)] = None
    suspected_infectious: bool = False
    suspected_disease: str = Field(default="", max_length=100)
    time: Annotated[str | None, AfterValidator(clock_time)] = None

    @field_validator("symptoms")
    @classmethod
    def _known(cls, codes: list[str]) -> list[str]:
        symptoms = parse_symptoms(codes)
        if not symptoms:
            raise FieldError(N_("Tick at least one symptom."))
        return [symptom.value for symptom in symptoms]


class StepForm(FormModel):
    # Required for every step: DOMAIN.md asks for the time of the guardian's notification above all.
    time: Annotated[str, AfterValidator(clock_time)]


class IsolateForm(StepForm):
    isolation_place: str = Field(default="", max_length=100)


class NotifyForm(StepForm):
    notified_whom: str = Field(max_length=100)


class PickupForm(StepForm):
    collector: str  # "guardian:<id>", "adult:<id>" or "delegate:<id>", as at the tablet's check-out
    suspected_infectious: bool = False
    suspected_disease: str = Field(default="", max_length=100)


class SuspectForm(FormModel):
    suspected_disease: str = Field(max_length=100)


class OutcomeForm(StepForm):
    outcome: IllnessOutcome
    outcome_note: str = Field(default="", max_length=500)


class VoidForm(FormModel):
    void_reason: str = Field(max_length=500)


class ReportForm(FormModel):
    reported_to: ReportedTo
    reported_on: dt.date
    time: Annotated[str, AfterValidator(clock_time)]
    report_reference: str = Field(max_length=100)
    report_note: str = Field(default="", max_length=500)


SYMPTOM_LABELS = {
    Symptom.fever: N_("Fever"),
    Symptom.cough: N_("Cough"),
    Symptom.rash: N_("Rash"),
    Symptom.vomiting: N_("Vomiting"),
    Symptom.diarrhoea: N_("Diarrhoea"),
    Symptom.conjunctivitis: N_("Red eyes (conjunctivitis)"),
    Symptom.sores: N_("Mouth / hand sores"),
    Symptom.other: N_("Other"),
}
SPIRITS_LABELS = {Spirits.good: N_("Good spirits"), Spirits.low: N_("Low spirits")}
SKIN_LABELS = {Skin.normal: N_("Skin normal"), Skin.rash: N_("Rash"), Skin.other: N_("Other (see notes)")}
MIDDAY_OUTCOME_LABELS = {
    MiddayOutcome.fine: N_("Fine"),
    MiddayOutcome.observe: N_("Observe"),
    MiddayOutcome.ill: N_("Ill: start the illness steps"),
}
OUTCOME_LABELS = {
    IllnessOutcome.recovered: N_("Recovered, stays"),
    IllnessOutcome.went_home: N_("Went home"),
    IllnessOutcome.hospital: N_("Hospital"),
}
REPORTED_TO_LABELS = {
    ReportedTo.cdc: N_("Disease control centre (疾控中心)"),
    ReportedTo.health_commission: N_("Health commission (卫生健康部门)"),
}
RULE_LABELS = {
    OutbreakRule.same_day: N_("{count} children in one day"),
    OutbreakRule.three_days: N_("{count} children within 3 days"),
}
# Suggestions for "which disease" (a datalist: anything else may be typed).
DISEASES = ("手足口病", "疱疹性咽峡炎", "水痘", "流行性感冒", "诺如病毒感染", "急性出血性结膜炎", "猩红热", "流行性腮腺炎", "麻疹")


def choices(labels: dict) -> list[tuple[str, str]]:
    return [(key.value, text) for key, text in labels.items()]
