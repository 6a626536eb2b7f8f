"""Enrolment services (placeholder interface; the enrolment work fills this in)."""

from datetime import date

from sqlmodel import Session

from nursery_ops.children.models import Child
from nursery_ops.policy import Policy


def child_enrolment_panel(session: Session, child: Child, today: date, policy: Policy) -> dict:
    """Everything the child record shows about enrolment: current/open enrolment, room,
    care type and schedule, admission checklist, band-change warning, history, actions."""
    return {"child": child}
