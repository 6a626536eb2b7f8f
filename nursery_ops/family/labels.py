"""What the family pages call stored values: the domains' own labels, and a parent's wording where the staff's differs."""

from nursery_ops.attendance.models import CheckOutcome
from nursery_ops.illness.forms import OUTCOME_LABELS, SKIN_LABELS, SPIRITS_LABELS, SYMPTOM_LABELS
from nursery_ops.illness.models import MiddayOutcome
from nursery_ops.incidents.forms import BODY_REGION_LABELS, CATEGORY_LABELS
from nursery_ops.health.rules import DUE_KIND_LABELS
from nursery_ops.i18n import N_
from nursery_ops.medication.forms import LABELS as MEDICATION_LABELS
from nursery_ops.medication.rules import dose_text

# The staff's "Ill: start the illness steps" is an instruction; a parent reads what it meant.
MIDDAY_OUTCOME_LABELS = {
    MiddayOutcome.fine: N_("Fine"),
    MiddayOutcome.observe: N_("Kept under observation"),
    MiddayOutcome.ill: N_("Unwell"),
}

# The staff's "Admit and observe" and "一摸 Feels feverish" are the checker's shorthand; a parent reads what was found.
MORNING_OUTCOME_LABELS = {
    CheckOutcome.admit: N_("All well, joined the room"),
    CheckOutcome.observe: N_("Joined the room, watched more closely today"),
    CheckOutcome.send_home: N_("Could not stay: sent home"),
}

# The morning-check items (attendance.forms.CHECK_ITEMS, same names and order) as a parent reads them.
CHECK_ITEMS = (
    ("feels_feverish", N_("Felt warm to the touch")),
    ("throat_red", N_("Red throat")),
    ("rash", N_("Rash on the skin")),
    ("low_spirits", N_("Low spirits")),
    ("poor_sleep", N_("Slept badly at home")),
    ("poor_appetite", N_("Ate badly at home")),
    ("abnormal_stools", N_("Unusual stools")),
    ("unsafe_items_found", N_("Something unsafe found in pockets or clothes")),
    ("suspected_infection", N_("Possible infection")),
)

# Everything the family templates read to show stored values (passed into each page's context).
SHOWN = {
    "symptom_labels": SYMPTOM_LABELS,
    "spirits_labels": SPIRITS_LABELS,
    "skin_labels": SKIN_LABELS,
    "midday_outcome_labels": MIDDAY_OUTCOME_LABELS,
    "morning_outcome_labels": MORNING_OUTCOME_LABELS,
    "illness_outcome_labels": OUTCOME_LABELS,
    "incident_labels": CATEGORY_LABELS,
    "body_labels": BODY_REGION_LABELS,
    "due_labels": DUE_KIND_LABELS,
    # templates/medication/_show.html reads these two names.
    "labels": MEDICATION_LABELS,
    "dose_text": dose_text,
}
