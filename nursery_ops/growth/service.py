"""Growth measurements: record (with the plausibility rules), void, read a child's history, flag the latest.

Every function that returns a child's entries takes a child id, so the family page can
reuse them for parents. z-scores are computed on read (see models.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.models import Person
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.models import Child, Sex
from nursery_ops.children.rules import completed_months
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.errors import NotFound
from nursery_ops.forms import Refused
from nursery_ops.growth import rules
from nursery_ops.growth.forms import MeasurementForm
from nursery_ops.growth.models import Measurement, Position
from nursery_ops.growth.who import Indicator, age_days, measurement_zscores


@lru_cache(maxsize=2048)
def _zscores(
    sex: Sex, birth_date: date, on: date, length_mm: int | None, position: Position | None,
    weight_g: int | None, head_mm: int | None,
) -> tuple[tuple[Indicator, float | None], ...]:
    # A z-score is a pure function of these values and WHO's fixed tables, and the LMS arithmetic in
    # Decimal dominates /director and /health (every enrolled child's latest measurement on each request):
    # computed once per measurement and process. A tuple, so no caller can change what the cache holds.
    return tuple(measurement_zscores(
        sex, birth_date, on, length_mm=length_mm, position=position, weight_g=weight_g, head_mm=head_mm,
    ).items())


def scores_of(child: Child, measurement: Measurement) -> dict[Indicator, float | None]:
    return dict(_zscores(
        child.sex, child.birth_date, measurement.on_date,
        measurement.length_mm, measurement.position, measurement.weight_g, measurement.head_mm,
    ))


@dataclass(frozen=True)
class GrowthLine:
    """One measurement as the page shows it."""

    measurement: Measurement
    by_name: str
    voided_by_name: str | None
    age_days: int
    months: int | None  # completed months on the day measured
    scores: dict[Indicator, float | None]
    directions: dict[Indicator, str | None]  # 'low' / 'high' beyond ±2 SD
    implausible: set[Indicator] = field(default_factory=set)

    @property
    def warnings(self) -> list[str]:
        return rules.warnings(self.scores)


def child_measurements(session: Session, child_id: int, *, with_voided: bool = False) -> list[Measurement]:
    """A child's measurements, oldest first (voided ones only when asked)."""
    statement = select(Measurement).where(Measurement.child_id == child_id)
    if not with_voided:
        statement = statement.where(col(Measurement.voided_at).is_(None))
    return list(session.exec(statement.order_by(Measurement.on_date, Measurement.id)).all())


def growth_lines(session: Session, child: Child, *, with_voided: bool = True) -> list[GrowthLine]:
    """The child's measurements, oldest first, with names and z-scores — one query.

    Staff see voided ones too (struck through); the family page passes with_voided=False.
    """
    by, voided_by = aliased(Person), aliased(Person)
    statement = (
        select(Measurement, by.full_name, voided_by.full_name)
        .join(by, by.id == Measurement.by_id)
        .outerjoin(voided_by, voided_by.id == Measurement.voided_by_id)
        .where(Measurement.child_id == child.id)
    )
    if not with_voided:
        statement = statement.where(col(Measurement.voided_at).is_(None))
    rows = session.exec(statement.order_by(Measurement.on_date, Measurement.id)).all()
    lines = []
    for measurement, by_name, voided_by_name in rows:
        scores = scores_of(child, measurement)
        lines.append(
            GrowthLine(
                measurement,
                by_name,
                voided_by_name,
                age_days(child.birth_date, measurement.on_date),
                completed_months(child.birth_date, measurement.on_date) if measurement.on_date >= child.birth_date else None,
                scores,
                {indicator: rules.warn_direction(z) for indicator, z in scores.items()},
                {indicator for indicator, z in scores.items() if rules.is_implausible(z)},
            )
        )
    return lines


def _neighbours(
    earlier: list[Measurement], on: date
) -> tuple[tuple[date, int, int] | None, tuple[date, int, int] | None]:
    """The nearest measurement with a length before `on` and after it (same day counts as before)."""
    before = after = None
    for measurement in earlier:
        if measurement.length_mm is None or measurement.position is None:
            continue
        point = (measurement.on_date, rules.lying_basis_mm(measurement.length_mm, measurement.position), measurement.length_mm)
        if measurement.on_date <= on:
            before = point
        elif after is None:
            after = point
    return before, after


def by_token(session: Session, token: str | None) -> Measurement | None:
    if not token:
        return None
    return session.exec(select(Measurement).where(Measurement.form_token == token)).first()


def record_measurement(session: Session, me: CurrentPerson, child: Child, data: MeasurementForm, today: date) -> Measurement:
    """Save a measurement, or raise Refused: impossible values always, implausible ones unless confirmed.

    A repeat of the same form (double tap) answers with the measurement already saved.
    """
    if (repeat := by_token(session, data.form_token)) is not None and repeat.child_id == child.id:
        return repeat
    values = rules.Values(data.on_date, data.length_mm, data.position, data.weight_g, data.head_mm)
    if errors := rules.input_errors(values, child.birth_date, today):
        raise Refused(errors)
    measurement = Measurement(
        child_id=child.id,
        on_date=data.on_date,
        length_mm=data.length_mm,
        position=data.position if data.length_mm is not None else None,
        weight_g=data.weight_g,
        head_mm=data.head_mm,
        notes=data.notes,
        by_id=me.person.id,
        form_token=data.form_token or None,
    )
    before, after = _neighbours(child_measurements(session, child.id), data.on_date)
    lying_mm = rules.lying_basis_mm(measurement.length_mm, measurement.position) if measurement.length_mm else None
    implausible = rules.implausible_errors(scores_of(child, measurement), lying_mm, before, after)
    if implausible and not data.confirmed:
        raise Refused({**implausible, "confirmed": rules.CONFIRM_NEEDED})
    measurement.confirmed = bool(implausible)
    session.add(measurement)
    try:
        session.flush()
    except IntegrityError:
        # The same form token saved by a concurrent request: answer with that one.
        session.rollback()
        if (repeat := by_token(session, data.form_token)) is not None:
            return repeat
        raise
    audit.record(
        session, me.person.id, "growth_measurement_recorded", measurement,
        after=audit.snapshot(measurement), child_id=child.id,
        reason="implausible value confirmed after measuring again" if implausible else None,
    )
    session.commit()
    return measurement


def child_measurement(session: Session, child_id: int, measurement_id: int) -> Measurement:
    measurement = session.get(Measurement, measurement_id)
    if measurement is None or measurement.child_id != child_id:
        raise NotFound()
    return measurement


def void_measurement(session: Session, me: CurrentPerson, measurement: Measurement, reason: str, now: datetime) -> Measurement:
    """Keeps the measurement with who voided it, when and why; voiding it again changes nothing."""
    if measurement.voided_at is not None:
        return measurement
    audit.void(session, me.person.id, measurement, "growth_measurement_voided", reason, now)
    session.commit()
    return measurement


def _latest_measurements(child_ids):
    """(measurement, child) of each of these children's latest measurement (not voided): `child_ids` a list
    or a subquery."""
    ranked = (
        select(
            Measurement.id.label("measurement_id"),
            func.row_number()
            .over(partition_by=Measurement.child_id, order_by=(col(Measurement.on_date).desc(), col(Measurement.id).desc()))
            .label("rank"),
        )
        .where(col(Measurement.child_id).in_(child_ids), col(Measurement.voided_at).is_(None))
        .subquery()
    )
    return (
        select(Measurement, Child)
        .join(ranked, ranked.c.measurement_id == Measurement.id)
        .join(Child, Child.id == Measurement.child_id)
        .where(ranked.c.rank == 1)
    )


def latest_flags(session: Session, child_ids) -> dict[int, list[str]]:
    """WARN message ids (z below −2 or above +2 SD) of each child's latest measurement — one query.

    Children without a measurement, or whose latest is within ±2 SD, map to []. The
    messages are plain message ids: show them with `_()`.
    """
    child_ids = list(child_ids)
    flags: dict[int, list[str]] = {child_id: [] for child_id in child_ids}
    if not child_ids:
        return flags
    for measurement, child in session.exec(_latest_measurements(child_ids)).all():
        flags[child.id] = rules.warnings(scores_of(child, measurement))
    return flags


def enrolled_with_warnings(session: Session) -> list[tuple[Child, list[str]]]:
    """Enrolled children whose latest measurement is beyond ±2 SD, by name (for /health and /director) — one query.

    A child never measured has no flag, so the latest measurements of the enrolled children are all it reads.
    """
    enrolled = select(Enrolment.child_id).where(Enrolment.status == EnrolmentStatus.enrolled)
    return with_warnings(session.exec(_latest_measurements(enrolled).order_by(Child.full_name, Child.id)).all())


def latest_measurement_id(child_id):
    """The id of a child's latest measurement (not voided), correlated with `child_id` (a column of the
    outer query): the latest measurement outer-joins a list of children in that list's own statement."""
    return (
        select(Measurement.id)
        .where(Measurement.child_id == child_id, col(Measurement.voided_at).is_(None))
        .order_by(col(Measurement.on_date).desc(), col(Measurement.id).desc())
        .limit(1)
        .correlate(child_id.class_)  # only the child's table: the outer query joins the measurement itself
        .scalar_subquery()
    )


def with_warnings(latest: Iterable[tuple[Measurement | None, Child]]) -> list[tuple[Child, list[str]]]:
    """The children whose latest measurement (None: never measured) is beyond ±2 SD, in the order given."""
    found = []
    for measurement, child in latest:
        if measurement is not None and (flags := rules.warnings(scores_of(child, measurement))):
            found.append((child, flags))
    return found
