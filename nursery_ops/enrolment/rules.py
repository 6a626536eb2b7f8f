"""Enrolment rules (DOMAIN.md "Care types", "Admission"): plain functions, no DB, no HTTP.

The admission checklist (入托) is reused by check-in: the first check-in is
BLOCKED until `admission_complete(...)` is true.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from nursery_ops.children.models import Child, ChildGuardian, TrustedAdult, VaccinationStatus
from nursery_ops.children.rules import completed_months
from nursery_ops.enrolment.models import CareType, Enrolment, HalfDaySession
from nursery_ops.health.models import ExamKind, HealthExam
from nursery_ops.i18n import N_
from nursery_ops.labels import WEEKDAY_LABELS
from nursery_ops.policy import Decision, Policy
from nursery_ops.rooms.rules import age_admissible

# Enrolments starting this soon (or already started) with an incomplete checklist are flagged.
ADMISSION_LOOKAHEAD_DAYS = 14


def schedule_text(days: Iterable[int]) -> str:
    """The stored form of a weekly schedule: ISO weekdays in order, each once."""
    return "".join(str(day) for day in sorted(set(days)))


def schedule_days(text: str) -> list[int]:
    return [int(char) for char in text]


def schedule_errors(care_type: CareType, days: Sequence[int], half_day_session: HalfDaySession | None) -> dict[str, str]:
    """Field errors of an enrolment's care type and weekly schedule."""
    errors = {}
    if not days:
        errors["schedule_days"] = N_("Choose at least one day of the week.")
    elif any(day not in WEEKDAY_LABELS for day in days):
        errors["schedule_days"] = N_("Choose one of the options.")
    if care_type == CareType.half_day and half_day_session is None:
        errors["half_day_session"] = N_("A half-day place needs a morning or afternoon session.")
    return errors


def admission_age(birth_date: date, on: date, policy: Policy) -> Decision | None:
    """BLOCK a place (also a waitlist place) starting under 6 months or at 36 months and over."""
    months = completed_months(birth_date, on) if on >= birth_date else -1
    return age_admissible(months, policy)


def override_decision(blocks: Sequence[Decision], reason: str | None) -> dict[str, str]:
    """Field errors when BLOCKs stand: an override needs a written reason."""
    if blocks and not (reason or "").strip():
        return {"override_reason": N_("To go ahead anyway, write the reason for the override.")}
    return {}


def waitlist_order(enrolments: Iterable[Enrolment]) -> list[Enrolment]:
    """候补 — first come, first placed: by date of application, then by who was entered first."""
    return sorted(enrolments, key=lambda enrolment: (enrolment.applied_on, enrolment.id or 0))


# --- Admission checklist -------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    """One admission requirement: done or missing, and where on the child record it is fixed."""

    key: str
    label: str
    done: bool
    anchor: str
    detail: str | None = None
    params: dict = field(default_factory=dict)
    warn: bool = False


@dataclass
class AdmissionFacts:
    """What the checklist reads about one child besides the child and the enrolment."""

    guardian_links: list[ChildGuardian] = field(default_factory=list)
    trusted_adults: list[TrustedAdult] = field(default_factory=list)
    entry_exams: list[HealthExam] = field(default_factory=list)


def vaccination_deadline(child: Child, enrolment: Enrolment, policy: Policy) -> date:
    """A pending certificate is due on its recorded date, else start + 30 days."""
    return child.vaccination_due_on or enrolment.start_date + timedelta(days=policy.vaccination_pending_days)


def valid_entry_exam(exams: Iterable[HealthExam], start_date: date, policy: Policy) -> HealthExam | None:
    """The latest passed, not voided entry exam done no earlier than 30 days before the start (入托体检)."""
    earliest = start_date - timedelta(days=policy.entry_exam_valid_days)
    valid = [
        exam
        for exam in exams
        if exam.kind == ExamKind.entry and exam.passed and exam.voided_at is None and exam.exam_date >= earliest
    ]
    return max(valid, key=lambda exam: exam.exam_date, default=None)


def admission_checklist(
    child: Child, enrolment: Enrolment, facts: AdmissionFacts, today: date, policy: Policy
) -> list[ChecklistItem]:
    """入托 — everything DOMAIN.md asks to be recorded before the first check-in."""
    guardians = [link for link in facts.guardian_links if link.active]
    adults = [adult for adult in facts.trusted_adults if adult.active]
    items = []

    items.append(
        ChecklistItem(
            "agreement",
            N_("Signed service agreement"),
            enrolment.agreement_signed_on is not None,
            "agreement",
            N_("Signed on {date}") if enrolment.agreement_signed_on else N_("No signed agreement recorded."),
            {"date": enrolment.agreement_signed_on} if enrolment.agreement_signed_on else {},
        )
    )

    exam = valid_entry_exam(facts.entry_exams, enrolment.start_date, policy)
    items.append(
        ChecklistItem(
            "entry_exam",
            N_("Entry health exam (入托体检) passed"),
            exam is not None,
            "exams",
            N_("Done on {date}") if exam else N_("No passed entry exam within {days} days before the start."),
            {"date": exam.exam_date} if exam else {"days": policy.entry_exam_valid_days},
        )
    )

    if child.vaccination_status == VaccinationStatus.sighted:
        vaccination = ChecklistItem(
            "vaccination", N_("Vaccination certificate sighted (预防接种证查验)"), True, "vaccination",
            N_("Sighted on {date}") if child.vaccination_checked_on else None,
            {"date": child.vaccination_checked_on} if child.vaccination_checked_on else {},
        )
    elif child.vaccination_status == VaccinationStatus.pending:
        deadline = vaccination_deadline(child, enrolment, policy)
        overdue = today > deadline
        vaccination = ChecklistItem(
            "vaccination", N_("Vaccination certificate sighted (预防接种证查验)"), True, "vaccination",
            N_("Pending: overdue since {date}") if overdue else N_("Pending: due by {date}"),
            {"date": deadline}, warn=overdue,
        )
    else:
        vaccination = ChecklistItem(
            "vaccination", N_("Vaccination certificate sighted (预防接种证查验)"), False, "vaccination",
            N_("Not sighted and not marked pending."),
        )
    items.append(vaccination)

    items.append(
        ChecklistItem("guardians", N_("At least one guardian"), bool(guardians), "guardians",
                      None if guardians else N_("No active guardian."))
    )

    emergency = any(adult.emergency_contact for adult in adults) or len(guardians) >= 2
    items.append(
        ChecklistItem("emergency_contact", N_("Emergency contact"), emergency, "pickup",
                      None if emergency else N_("Add an emergency contact or a second guardian."))
    )

    pick_up = any(link.may_pick_up for link in guardians) or any(adult.may_pick_up for adult in adults)
    items.append(
        ChecklistItem("pickup", N_("Authorised pick-up list"), pick_up, "pickup",
                      None if pick_up else N_("Nobody may pick this child up yet."))
    )

    # Allergies and special needs may truly be "none"; only a feeding need lacks its written statement.
    statement_missing = bool(child.feeding_needs.strip()) and child.feeding_statement_on is None
    items.append(
        ChecklistItem("needs", N_("Allergies, special needs and feeding"), not statement_missing, "needs",
                      N_("A special feeding need needs the guardian's written statement.") if statement_missing else None)
    )

    guardian_ids = {link.guardian_id for link in guardians}
    consent = child.consent_on is not None and child.consent_guardian_id in guardian_ids
    items.append(
        ChecklistItem("consent", N_("Guardian consent to personal information processing"), consent, "consent",
                      N_("Given on {date}") if consent else N_("No consent from an active guardian."),
                      {"date": child.consent_on} if consent else {})
    )
    return items


def admission_complete(items: Iterable[ChecklistItem]) -> bool:
    return all(item.done for item in items)


def admission_needs_attention(enrolment: Enrolment, items: Sequence[ChecklistItem], today: date) -> bool:
    """WARN: an enrolment starting within 14 days (or already started) with something missing."""
    return enrolment.start_date <= today + timedelta(days=ADMISSION_LOOKAHEAD_DAYS) and not admission_complete(items)
