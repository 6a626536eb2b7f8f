"""The staff register's rules (DOMAIN.md "Staff"): posts, sign-ins, training totals, staffing. Pure functions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from nursery_ops.attendance.rules import required_caregivers
from nursery_ops.auth.models import Role
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode, Policy
from nursery_ops.staff.models import Employment, Job, TrainingKind

JOB_LABELS = {
    Job.director: N_("Director (负责人)"),
    Job.caregiver: N_("Caregiver (保育人员)"),
    Job.health: N_("Health officer (保健人员)"),
    Job.security: N_("Security (保安)"),
    Job.kitchen: N_("Kitchen (炊事)"),
    Job.other: N_("Other post"),
}
EMPLOYMENT_LABELS = {Employment.full_time: N_("Full-time (专职)"), Employment.part_time: N_("Part-time (兼职)")}
TRAINING_LABELS = {
    TrainingKind.pre_service: N_("Pre-service (岗前)"),
    TrainingKind.ethics: N_("Ethics (师德)"),
    TrainingKind.other: N_("Other training"),
}

# These posts use the app (the tablet, the health pages, the office): they sign in.
SIGN_IN_JOBS = frozenset({Job.director, Job.caregiver, Job.health})


def job_for(roles: Iterable[Role]) -> Job:
    """The post of an account made before posts were recorded: its first staff role."""
    held = set(roles)
    for role, job in ((Role.director, Job.director), (Role.health, Job.health), (Role.caregiver, Job.caregiver)):
        if role in held:
            return job
    return Job.other


def sign_in_problem(job: Job, has_username: bool) -> str | None:
    """Why this registration needs a sign-in (None: it is fine as it is)."""
    if job in SIGN_IN_JOBS and not has_username:
        return N_("This post uses the app: give a username and a password.")
    return None


def hours_text(tenths: int) -> str:
    """Tenths of an hour as hours with one decimal: 715 → "71.5"."""
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class TrainingTotal:
    kind: TrainingKind
    hours_tenths: int
    required_hours: int

    @property
    def short(self) -> bool:
        return self.hours_tenths < self.required_hours * 10

    @property
    def hours(self) -> str:
        return hours_text(self.hours_tenths)


def training_totals(tenths_by_kind: dict[TrainingKind, int], policy: Policy) -> list[TrainingTotal]:
    """Pre-service and ethics hours (in tenths) against the policy's minimums (other training only counted)."""
    required = {
        TrainingKind.pre_service: policy.pre_service_training_hours,
        TrainingKind.ethics: policy.ethics_training_hours,
        TrainingKind.other: 0,
    }
    return [TrainingTotal(kind, tenths_by_kind.get(kind, 0), required[kind]) for kind in TrainingKind]


def security_warning(registered: int, on_roster: int, children_expected: int) -> Decision | None:
    """DOMAIN.md: at least one security guard (保安) on duty — on the roster of a day children come."""
    if registered == 0:
        return Decision(Mode.warn, N_("No security guard (保安) is registered as active staff."))
    if on_roster == 0 and children_expected > 0:
        return Decision(Mode.warn, N_("No security guard (保安) is on today's duty roster."))
    return None


def health_staff_warning(health_officers: Iterable[Employment], enrolled: int, policy: Policy) -> Decision | None:
    """DOMAIN.md: a part-time health officer below 50 children, a full-time one at 50 or more."""
    officers = list(health_officers)
    threshold = policy.health_staff_full_time_from
    if not officers:
        return Decision(Mode.warn, N_("No active health officer (保健人员) is registered."))
    if enrolled >= threshold and Employment.full_time not in officers:
        return Decision(
            Mode.warn,
            N_("{enrolled} children are enrolled: from {threshold} a full-time health officer is needed, and none is registered."),
            {"enrolled": enrolled, "threshold": threshold},
        )
    return None


# ---------------------------------------------------------------- the duty roster (排班)


@dataclass(frozen=True)
class RosterCandidate:
    """What the roster rule needs to know about a person on a day."""

    name: str
    job: Job
    active: bool
    barred: bool
    certificates_missing: bool  # a certificate needed to work with children is missing or expired on the day
    assigned_rooms: frozenset[int]  # the rooms the person is a caregiver of


def roster_refusals(
    candidate: RosterCandidate,
    on: date,
    today: date,
    room_id: int | None,
    room_active: bool,
    starts_at: time,
    ends_at: time,
    overlaps: bool,
) -> dict[str, Decision]:
    """Why this person cannot be on the roster then (DOMAIN.md "Staff"); field → refusal, empty when fine.

    Expired or missing certificates keep a person off the roster, and a barred or
    deactivated person is never put on it. A room duty is for one of the room's own
    caregivers (only there do they count toward its ratio); a caregiver's duty needs a room.
    """
    refusals: dict[str, Decision] = {}
    params = {"name": candidate.name, "date": on.isoformat()}
    if on < today:
        refusals["on"] = Decision(Mode.block, N_("The roster of a day gone by stays as it was."))
    if candidate.barred:
        refusals["person_id"] = Decision(
            Mode.block, N_("{name} is barred from working with children and can never be put on the roster."), params)
    elif not candidate.active:
        refusals["person_id"] = Decision(
            Mode.block, N_("{name}'s account is deactivated: reactivate it before putting them on the roster."), params)
    elif candidate.certificates_missing:
        refusals["person_id"] = Decision(
            Mode.block,
            N_("{name} cannot be put on the roster: a certificate needed to work with children is missing or expired on {date}."),
            params,
        )
    if room_id is None:
        if candidate.job is Job.caregiver:
            refusals["room_id"] = Decision(Mode.block, N_("Choose the room a caregiver is on duty in."))
    elif not room_active:
        refusals["room_id"] = Decision(Mode.block, N_("This room is closed."))
    elif room_id not in candidate.assigned_rooms:
        refusals["room_id"] = Decision(
            Mode.block,
            N_("{name} is not one of this room's caregivers: assign them to the room first (they count toward its ratio only there)."),
            params,
        )
    if ends_at <= starts_at:
        refusals["ends_at"] = Decision(Mode.block, N_("The duty must end after it starts."))
    elif overlaps and "person_id" not in refusals:
        refusals["starts_at"] = Decision(Mode.block, N_("{name} is already on the roster at that time that day."), params)
    return refusals


def roster_short(expected: int, per_caregiver: int, rostered: int) -> Decision | None:
    """WARN when the caregivers on a room's roster are fewer than its expected children need."""
    needed = required_caregivers(expected, per_caregiver)
    if rostered >= needed:
        return None
    return Decision(
        Mode.warn,
        N_("{expected} children are expected: they need {needed} caregivers (1:{ratio}), {rostered} on the roster."),
        {"expected": expected, "needed": needed, "ratio": per_caregiver, "rostered": rostered},
    )
