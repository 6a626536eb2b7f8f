"""What each stored value is called on screen: one message id per enum value.

Templates call `label("care_type", enrolment.care_type)`; Python code that builds
form options reads these maps. StrEnum keys also match their plain string values.
"""

from nursery_ops.attendance.models import AbsenceReason, CheckOutcome
from nursery_ops.auth.models import Role
from nursery_ops.children.models import Sex
from nursery_ops.children.rules import AgeBand
from nursery_ops.dailylog.models import Amount, EntryKind, Meal, Mood, Nappy
from nursery_ops.enrolment.models import CareType, EnrolmentStatus, HalfDaySession
from nursery_ops.health.models import ExamKind
from nursery_ops.i18n import N_
from nursery_ops.rooms.models import RoomType

ROOM_TYPE_LABELS = {
    RoomType.infant: N_("Infant room (乳儿班)"),
    RoomType.toddler: N_("Toddler room (托小班)"),
    RoomType.older: N_("Older room (托大班)"),
    RoomType.mixed: N_("Mixed room (混合编班)"),
}

BAND_LABELS = {
    AgeBand.too_young: N_("Under 6 months"),
    AgeBand.infant: N_("Infant (乳儿)"),
    AgeBand.toddler: N_("Toddler (托小)"),
    AgeBand.older: N_("Older (托大)"),
    AgeBand.aged_out: N_("36 months and over"),
}

CARE_TYPE_LABELS = {
    CareType.full_day: N_("Full day (全日托)"),
    CareType.half_day: N_("Half day (半日托)"),
    CareType.hourly: N_("Hourly (计时托)"),
    CareType.temporary: N_("Temporary (临时托)"),
}

HALF_DAY_LABELS = {HalfDaySession.morning: N_("Morning"), HalfDaySession.afternoon: N_("Afternoon")}

# ISO weekday numbers, as stored in Enrolment.schedule_days ("12345" = Monday to Friday).
WEEKDAY_LABELS = {1: N_("Mon"), 2: N_("Tue"), 3: N_("Wed"), 4: N_("Thu"), 5: N_("Fri"), 6: N_("Sat"), 7: N_("Sun")}

ENROLMENT_STATUS_LABELS = {
    EnrolmentStatus.waitlisted: N_("Waitlisted"),
    EnrolmentStatus.enrolled: N_("Enrolled"),
    EnrolmentStatus.withdrawn: N_("Withdrawn"),
}

SEX_LABELS = {Sex.female: N_("Girl"), Sex.male: N_("Boy")}

EXAM_KIND_LABELS = {
    ExamKind.entry: N_("Entry exam (入托体检)"),
    ExamKind.periodic: N_("Periodic exam (定期体检)"),
    ExamKind.return_after_absence: N_("Return after absence"),
}

ROLE_LABELS = {
    Role.director: N_("Director (园长)"),
    Role.caregiver: N_("Caregiver (保育人员)"),
    Role.health: N_("Health officer (保健人员)"),
    Role.parent: N_("Parent"),
}

CHECK_OUTCOME_LABELS = {
    CheckOutcome.admit: N_("Admit"),
    CheckOutcome.observe: N_("Admit and observe"),
    CheckOutcome.send_home: N_("Send home"),
}

ABSENCE_REASON_LABELS = {AbsenceReason.sick: N_("Sick"), AbsenceReason.leave: N_("Leave"), AbsenceReason.unknown: N_("Unknown")}

ENTRY_KIND_LABELS = {
    EntryKind.meal: N_("Meal"),
    EntryKind.bottle: N_("Bottle / drink"),
    EntryKind.nap: N_("Nap"),
    EntryKind.sleep_check: N_("Sleep check"),
    EntryKind.nappy: N_("Nappy / toilet"),
    EntryKind.mood: N_("Mood"),
    EntryKind.activity: N_("Activity"),
    EntryKind.note: N_("Note"),
    EntryKind.photo: N_("Photo"),
}

MEAL_LABELS = {
    Meal.breakfast: N_("Breakfast"),
    Meal.morning_snack: N_("Morning snack"),
    Meal.lunch: N_("Lunch"),
    Meal.afternoon_snack: N_("Afternoon snack"),
    Meal.dinner: N_("Dinner"),
}

# The choice on the meal form, and the same amount in a sentence ("Lunch: ate most").
AMOUNT_LABELS = {Amount.all: N_("All"), Amount.most: N_("Most"), Amount.some: N_("Some"), Amount.none: N_("None")}
AMOUNT_EATEN_LABELS = {
    Amount.all: N_("ate all"),
    Amount.most: N_("ate most"),
    Amount.some: N_("ate some"),
    Amount.none: N_("ate nothing"),
}

NAPPY_LABELS = {
    Nappy.wet: N_("Wet"),
    Nappy.dirty: N_("Dirty"),
    Nappy.wet_and_dirty: N_("Wet and dirty"),
    Nappy.potty: N_("Potty"),
    Nappy.dry: N_("Dry"),
}

MOOD_LABELS = {
    Mood.happy: N_("Happy"),
    Mood.calm: N_("Calm"),
    Mood.tired: N_("Tired"),
    Mood.upset: N_("Upset"),
    Mood.unwell: N_("Unwell"),
}

LABELS = {
    "room_type": ROOM_TYPE_LABELS,
    "band": BAND_LABELS,
    "care_type": CARE_TYPE_LABELS,
    "half_day": HALF_DAY_LABELS,
    "weekday": WEEKDAY_LABELS,
    "enrolment_status": ENROLMENT_STATUS_LABELS,
    "sex": SEX_LABELS,
    "exam_kind": EXAM_KIND_LABELS,
    "role": ROLE_LABELS,
    "check_outcome": CHECK_OUTCOME_LABELS,
    "absence_reason": ABSENCE_REASON_LABELS,
    "entry_kind": ENTRY_KIND_LABELS,
    "meal": MEAL_LABELS,
    "amount": AMOUNT_LABELS,
    "amount_eaten": AMOUNT_EATEN_LABELS,
    "nappy": NAPPY_LABELS,
    "mood": MOOD_LABELS,
}


def label_id(kind: str, value) -> str:
    """The message id for a value (an enum member, its string value, or a weekday number)."""
    return LABELS[kind][int(value) if kind == "weekday" else value]


def choices(kind: str) -> list[tuple[str, str]]:
    """(stored value, message id) pairs for a form's options, in the order of the labels."""
    return [(str(value), text) for value, text in LABELS[kind].items()]
