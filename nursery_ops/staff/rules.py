"""The staff register's rules (DOMAIN.md "Staff"): posts, sign-ins, training totals, staffing. Pure functions."""

from collections.abc import Iterable
from dataclasses import dataclass

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


def security_warning(active_security: int) -> Decision | None:
    """DOMAIN.md: at least one security guard (保安) on duty."""
    if active_security > 0:
        return None
    return Decision(Mode.warn, N_("No security guard (保安) is registered as active staff."))


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
