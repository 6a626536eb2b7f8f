"""Reading the audit log: what an entry is called, what changed, where it leads, and the filter's dates.

Pure functions over values (no DB, no HTTP), so the viewer, the overrides list and the CSV say the
same thing about an entry.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from nursery_ops.forms import LARGEST_INTEGER, whole_number
from nursery_ops.i18n import N_

PAGE_SIZE = 50
LAST_PAGE = LARGEST_INTEGER // PAGE_SIZE  # the row offset of a page must fit an INTEGER too

# Actions in plain words; an action missing here is shown as stored (a new kind is never hidden).
ACTION_LABELS = {
    "override": N_("Overrode a BLOCK rule"),
    "health_record_read": N_("Read a health record"),
    "child_created": N_("Child added"),
    "child_updated": N_("Child's details changed"),
    "child_photo_set": N_("Child's photo set"),
    "child_record_exported": N_("Child's record exported"),
    "consent_recorded": N_("Consent recorded"),
    "vaccination_recorded": N_("Vaccination certificate recorded"),
    "agreement_signed": N_("Service agreement signed"),
    "guardian_created": N_("Guardian added"),
    "guardian_linked": N_("Guardian linked"),
    "guardian_link_updated": N_("Guardian link changed"),
    "guardian_link_ended": N_("Guardian link ended"),
    "trusted_adult_added": N_("Pick-up adult added"),
    "trusted_adult_updated": N_("Pick-up adult changed"),
    "trusted_adult_removed": N_("Pick-up adult removed"),
    "pickup_delegate_recorded": N_("One-off pick-up delegate recorded"),
    "enrolment_created": N_("Enrolment created"),
    "enrolment_updated": N_("Enrolment changed"),
    "enrolment_placed": N_("Placed in a room"),
    "enrolment_withdrawn": N_("Enrolment withdrawn"),
    "room_transfer": N_("Room move"),
    "checked_in": N_("Checked in"),
    "checked_out": N_("Checked out"),
    "attendance_times_corrected": N_("Arrival or pick-up time corrected"),
    "morning_check_recorded": N_("Morning check recorded"),
    "health_exam_recorded": N_("Health exam recorded"),
    "health_exam_voided": N_("Health exam voided"),
    "growth_measurement_recorded": N_("Growth measurement recorded"),
    "growth_measurement_voided": N_("Growth measurement voided"),
    "medication_authorised": N_("Medication authorised"),
    "medication_authorisation_cancelled": N_("Medication authorisation cancelled"),
    "medication_dose_recorded": N_("Medication dose recorded"),
    "medication_dose_voided": N_("Medication dose voided"),
    "illness_started": N_("Taken ill during the day"),
    "illness_voided": N_("Illness record voided"),
    "return_certificate_required": N_("Return certificate required"),
    "return_certificate_received": N_("Return certificate received"),
    "return_certificate_voided": N_("Return certificate voided"),
    "incident_recorded": N_("Incident recorded"),
    "incident_updated": N_("Incident changed"),
    "incident_signed_off": N_("Incident signed off"),
    "incident_closed": N_("Incident closed"),
    "log_entry_recorded": N_("Day log entry recorded"),
    "log_entry_corrected": N_("Day log entry corrected"),
    "log_entry_voided": N_("Day log entry voided"),
    "contract_signed": N_("Contract signed"),
    "contract_ended": N_("Contract ended"),
    "bill_issued": N_("Bill issued"),
    "bill_voided": N_("Bill voided"),
    "payment_recorded": N_("Payment recorded"),
    "payment_voided": N_("Payment voided"),
    "refund_recorded": N_("Refund recorded"),
    "refund_paid": N_("Refund paid out"),
    "refund_voided": N_("Refund voided"),
    "rule_changed": N_("Rule changed"),
    "rule_reset": N_("Rule back to its default"),
    "staff_created": N_("Staff member added"),
    "staff_updated": N_("Staff member changed"),
    "staff_certificate_recorded": N_("Staff certificate recorded"),
    "staff_certificate_voided": N_("Staff certificate voided"),
    "person_created": N_("Sign-in created"),
    "password_changed": N_("Password changed"),
    "parent_account_created": N_("Parent sign-in created"),
    "signed_in": N_("Signed in"),
    "retention_purge": N_("Records removed after the retention period"),
}

# Kinds of record (the table an entry is about, or what a health-record read opened).
ENTITY_LABELS = {
    "child": N_("Child"),
    "guardian": N_("Guardian"),
    "child_guardian": N_("Guardian link"),
    "trusted_adult": N_("Pick-up adult"),
    "enrolment": N_("Enrolment"),
    "room_transfer": N_("Room move"),
    "attendance": N_("Attendance"),
    "absence": N_("Absence"),
    "morning_check": N_("Morning check (晨检)"),
    "midday_check": N_("Midday check (午检)"),
    "health_exam": N_("Health exam"),
    "growth_measurement": N_("Growth measurement"),
    "growth": N_("Growth"),
    "medication": N_("Medication"),
    "medication_authorisation": N_("Medication authorisation"),
    "medication_dose": N_("Medication dose"),
    "illness": N_("Illness"),
    "return_certificate": N_("Return certificate (返园证明)"),
    "incident": N_("Incident"),
    "log_entry": N_("Day log entry"),
    "contract": N_("Contract"),
    "bill": N_("Bill"),
    "payment": N_("Payment"),
    "refund": N_("Refund"),
    "person": N_("Sign-in"),
    "staff_certificate": N_("Staff certificate"),
    "room": N_("Room"),
    "policy_override": N_("Rule"),
    "child_record": N_("Child's record"),
    "health_overview": N_("Health overview"),
}

# Where an entry's record is shown; other records lead to the child's page when the entry names a child.
RECORD_URLS = {
    "child": "/children/{id}",
    "contract": "/contracts/{id}",
    "bill": "/bills/{id}",
    "payment": "/payments/{id}",
    "refund": "/refunds/{id}",
    "incident": "/incidents/{id}",
    "room": "/rooms/{id}",
    "person": "/staff/{id}",
}

# A BLOCK the director went ahead with: enrolment and check-in write an "override" entry naming the
# decisions; a bill or payment past the prepayment cap carries the override reason on its own entry.
PREPAY_OVERRIDE_ACTIONS = frozenset({"bill_issued", "payment_recorded"})
PREPAY_RULE = N_("Prepayment cap: one payment may cover at most the set number of months")

NOT_A_PERSON = N_("Choose a person from the list.")
NOT_A_CHILD = N_("Choose a child from the list.")
DATES_REVERSED = N_("The end date is before the start date.")


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity)


def record_url(entity: str, entity_id: int | None, child_id: int | None) -> str | None:
    if entity in RECORD_URLS and entity_id is not None:
        return RECORD_URLS[entity].format(id=entity_id)
    if entity == "policy_override":
        return "/settings/rules"
    return f"/children/{child_id}" if child_id is not None else None


def utc_range(date_from: date | None, date_to: date | None, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC for local calendar dates, both inclusive: 23:30 UTC is the next day in Shanghai."""
    start = datetime.combine(date_from, time(0, 0), tzinfo=zone).astimezone(UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC) if date_to else None
    return start, end


def page_number(raw: str | None) -> int:
    """A page link edited by hand (0, -3, "abc", "²", a number beyond any page) shows the first page rather than an error."""
    number = whole_number(raw)
    return number if number is not None and 1 <= number <= LAST_PAGE else 1


def shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """The fields that differ, in the record's own order; a new record lists what it was given."""
    before, after = before or {}, after or {}
    fields = list(before) + [key for key in after if key not in before]
    return [
        Change(key, shown_value(before.get(key)), shown_value(after.get(key)))
        for key in fields
        if before.get(key) != after.get(key)
    ]


def full_json(value: dict | None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) if value is not None else ""


def is_override(action: str, reason: str | None) -> bool:
    return action == "override" or (action in PREPAY_OVERRIDE_ACTIONS and bool(reason))


def overridden_rules(action: str, after: dict | None) -> list[dict]:
    """The decisions an override went past: {"message": id, "params": {...}} each, to translate when shown."""
    if action == "override":
        return [
            {"message": decision.get("message", ""), "params": decision.get("params") or {}}
            for decision in (after or {}).get("decisions", [])
        ]
    return [{"message": PREPAY_RULE, "params": {}}]


