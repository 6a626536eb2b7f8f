"""Staff training (岗前培训, 师德培训...): recorded and voided by the director, totals against the policy.

The section `templates/staff/_training.html` goes on the staff page with
`training_section(session, person_id, policy)` in its context.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlmodel import Session, col, select

from nursery_ops import audit
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.clock import utcnow
from nursery_ops.forms import FormModel, not_in_future
from nursery_ops.policy import Policy
from nursery_ops.staff.models import StaffTraining, TrainingKind
from nursery_ops.staff.rules import TRAINING_LABELS, hours_text, training_totals


class TrainingForm(FormModel):
    # Named apart from the certificate form's fields: both forms are on the staff page.
    trained_on: Annotated[date, AfterValidator(not_in_future)]
    # One record may be a whole course (岗前培训 runs for weeks); more than 200 h is a typing slip.
    hours: Decimal = Field(gt=0, le=200, decimal_places=1)
    training_kind: TrainingKind
    provider: str = Field(default="", max_length=200)


def training_section(session: Session, person_id: int, policy: Policy) -> dict:
    """The template context of `staff/_training.html` (one query)."""
    rows = session.exec(
        select(StaffTraining).where(StaffTraining.person_id == person_id)
        .order_by(col(StaffTraining.on_date).desc(), col(StaffTraining.id).desc())
    ).all()
    tenths: dict[TrainingKind, int] = {}
    for row in rows:
        if row.voided_at is None:
            tenths[row.kind] = tenths.get(row.kind, 0) + row.hours_tenths
    return {
        "trainings": rows,
        "training_totals": training_totals(tenths, policy),
        "hours_text": hours_text,
        "training_labels": TRAINING_LABELS,
        "training_kinds": [(kind.value, text) for kind, text in TRAINING_LABELS.items()],
    }


def add_training(session: Session, me: CurrentPerson, person_id: int, data: TrainingForm) -> StaffTraining:
    training = StaffTraining(person_id=person_id, recorded_by_id=me.id, on_date=data.trained_on,
                             hours_tenths=int(data.hours * 10),
                             kind=data.training_kind, provider=data.provider)
    session.add(training)
    audit.record(session, me.id, "staff_training_recorded", training, after=audit.snapshot(training))
    session.commit()
    return training


def void_training(session: Session, me: CurrentPerson, training: StaffTraining, reason: str) -> None:
    if training.voided_at is not None:
        return
    before = audit.snapshot(training)
    training.voided_at, training.void_reason = utcnow(), reason
    session.add(training)
    audit.record(session, me.id, "staff_training_voided", training, before=before,
                 after=audit.snapshot(training), reason=reason)
    session.commit()
