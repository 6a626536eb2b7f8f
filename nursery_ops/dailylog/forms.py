"""The daily-log forms on the tablet: one small form per kind of entry, the batch screen, corrections, outdoor time."""

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field

from nursery_ops.dailylog.models import Amount, EntryKind, Meal, Mood, Nappy
from nursery_ops.dailylog.rules import (
    bottle_error,
)
from nursery_ops.forms import FieldError, FormModel, required_text
from nursery_ops.i18n import N_
from nursery_ops.labels import choices


def millilitres(value: int) -> int:
    if (message := bottle_error(value)) is not None:
        raise FieldError(message)
    return value


class EntryForm(FormModel):
    # Random per rendered form: the same token twice is a double tap.
    form_token: str | None = Field(default=None, max_length=40)
    # Left empty: now. Set: an earlier time today (the nursery's clock).
    time: dt.time | None = None


class MealForm(EntryForm):
    meal: Meal
    amount: Amount


class BottleForm(EntryForm):
    millilitres: Annotated[int, AfterValidator(millilitres)]


class NapStartForm(EntryForm):
    pass


class NapEndForm(EntryForm):
    # The nap the form was opened for: a repeat after it ended answers like the first time.
    nap_id: int | None = None


class SleepCheckForm(EntryForm):
    pass


class NappyForm(EntryForm):
    nappy: Nappy


class MoodForm(EntryForm):
    mood: Mood
    text: str = Field(default="", max_length=1000)


class TextForm(EntryForm):
    text: Annotated[str, AfterValidator(required_text)] = Field(max_length=1000)


class PhotoForm(EntryForm):
    text: str = Field(default="", max_length=1000)  # caption
    also_tagged: list[int] = Field(default_factory=list)  # other children in the photo


# URL slug → the entry kind and its form. Nap start and end are two slugs of one kind.
ENTRY_FORMS: dict[str, tuple[EntryKind, type[EntryForm]]] = {
    "meal": (EntryKind.meal, MealForm),
    "bottle": (EntryKind.bottle, BottleForm),
    "nap-start": (EntryKind.nap, NapStartForm),
    "nap-end": (EntryKind.nap, NapEndForm),
    "sleep-check": (EntryKind.sleep_check, SleepCheckForm),
    "nappy": (EntryKind.nappy, NappyForm),
    "mood": (EntryKind.mood, MoodForm),
    "activity": (EntryKind.activity, TextForm),
    "note": (EntryKind.note, TextForm),
    "photo": (EntryKind.photo, PhotoForm),
}

ENTRY_TITLES = {
    "meal": N_("Meal: {name}"),
    "bottle": N_("Bottle or drink: {name}"),
    "nap-start": N_("Nap starts: {name}"),
    "nap-end": N_("Nap ends: {name}"),
    "sleep-check": N_("Sleep check: {name}"),
    "nappy": N_("Nappy / toilet: {name}"),
    "mood": N_("Mood: {name}"),
    "activity": N_("Activity: {name}"),
    "note": N_("Note: {name}"),
    "photo": N_("Photo: {name}"),
}


# ---------------------------------------------------------------- batch


# A child's choice on the batch meal screen: an amount, or not at this meal.
ABSENT_FROM_MEAL = "absent"


class BatchMealForm(FormModel):
    form_token: str | None = Field(default=None, max_length=40)
    time: dt.time | None = None
    meal: Meal
    # The per-child amounts come as amount_<child_id>: read by the route for the children present.


class BatchNapForm(FormModel):
    form_token: str | None = Field(default=None, max_length=40)
    time: dt.time | None = None
    children: list[int] = Field(default_factory=list)


class BatchNapEndForm(FormModel):
    form_token: str | None = Field(default=None, max_length=40)
    time: dt.time | None = None
    naps: list[int] = Field(default_factory=list)


# ---------------------------------------------------------------- corrections


class ReasonField(FormModel):
    form_token: str | None = Field(default=None, max_length=40)
    reason: Annotated[str, AfterValidator(required_text)] = Field(max_length=500)


class VoidForm(ReasonField):
    pass


class MealCorrection(ReasonField):
    time: dt.time
    meal: Meal
    amount: Amount


class BottleCorrection(ReasonField):
    time: dt.time
    millilitres: Annotated[int, AfterValidator(millilitres)]


class NapCorrection(ReasonField):
    time: dt.time  # fell asleep
    end_time: dt.time | None = None  # woke up (empty: still asleep)


class TimeCorrection(ReasonField):
    time: dt.time


class NappyCorrection(ReasonField):
    time: dt.time
    nappy: Nappy


class MoodCorrection(ReasonField):
    time: dt.time
    mood: Mood
    text: str = Field(default="", max_length=1000)


class TextCorrection(ReasonField):
    time: dt.time
    text: Annotated[str, AfterValidator(required_text)] = Field(max_length=1000)


class PhotoCorrection(ReasonField):
    time: dt.time
    text: str = Field(default="", max_length=1000)


CORRECTION_FORMS: dict[EntryKind, type[ReasonField]] = {
    EntryKind.meal: MealCorrection,
    EntryKind.bottle: BottleCorrection,
    EntryKind.nap: NapCorrection,
    EntryKind.sleep_check: TimeCorrection,
    EntryKind.nappy: NappyCorrection,
    EntryKind.mood: MoodCorrection,
    EntryKind.activity: TextCorrection,
    EntryKind.note: TextCorrection,
    EntryKind.photo: PhotoCorrection,
}


# ---------------------------------------------------------------- outdoor time


class OutdoorForm(FormModel):
    start: dt.time
    end: dt.time


class ShortfallForm(FormModel):
    reason: Annotated[str, AfterValidator(required_text)] = Field(max_length=500)


MEAL_CHOICES = choices("meal")
AMOUNT_CHOICES = choices("amount")
NAPPY_CHOICES = choices("nappy")
MOOD_CHOICES = choices("mood")
BATCH_AMOUNT_CHOICES = AMOUNT_CHOICES + [(ABSENT_FROM_MEAL, N_("Not at this meal"))]
