"""The family page (家长页): a guardian's own children, read-only.

Which children is decided by `children.access.guardian_child_ids` alone (an
active link the guardian may view); everything else is read for those children
in a fixed number of queries, however many children there are.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from nursery_ops.children.access import guardian_child_ids
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult
from nursery_ops.children.rules import completed_months
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.enrolment.rules import schedule_days
from nursery_ops.labels import CARE_TYPE_LABELS, HALF_DAY_LABELS, WEEKDAY_LABELS
from nursery_ops.rooms.models import Room


@dataclass
class ChildCard:
    child: Child
    months: int
    enrolment: Enrolment | None = None
    room: Room | None = None
    guardians: list[tuple[ChildGuardian, Guardian]] = field(default_factory=list)
    trusted_adults: list[TrustedAdult] = field(default_factory=list)

    @property
    def care_label(self) -> str | None:
        return CARE_TYPE_LABELS[self.enrolment.care_type] if self.enrolment else None

    @property
    def session_label(self) -> str | None:
        if self.enrolment and self.enrolment.half_day_session:
            return HALF_DAY_LABELS[self.enrolment.half_day_session]
        return None

    @property
    def schedule_labels(self) -> list[str]:
        return [WEEKDAY_LABELS[day] for day in schedule_days(self.enrolment.schedule_days)] if self.enrolment else []

    @property
    def pick_up(self) -> list[tuple[str, str, str]]:
        """The authorised pick-up list (接送): name, relation, phone."""
        people = [(guardian.full_name, link.relation, guardian.phone) for link, guardian in self.guardians if link.may_pick_up]
        return people + [(adult.full_name, adult.relation, adult.phone) for adult in self.trusted_adults if adult.may_pick_up]


def family_cards(session: Session, guardian_id: int | None, today: date) -> list[ChildCard]:
    child_ids = guardian_child_ids(session, guardian_id)
    if not child_ids:
        return []
    rows = session.exec(
        select(Child, Enrolment, Room)
        .outerjoin(Enrolment, (Enrolment.child_id == Child.id) & (Enrolment.status != EnrolmentStatus.withdrawn))
        .outerjoin(Room, Room.id == Enrolment.room_id)
        .where(Child.id.in_(child_ids))
        .order_by(Child.birth_date, Child.id)
    ).all()
    cards = {
        child.id: ChildCard(child, completed_months(child.birth_date, today) if today >= child.birth_date else 0, enrolment, room)
        for child, enrolment, room in rows
    }
    for link, guardian in session.exec(
        select(ChildGuardian, Guardian)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(ChildGuardian.child_id.in_(child_ids), ChildGuardian.active.is_(True))
        .order_by(ChildGuardian.id)
    ):
        cards[link.child_id].guardians.append((link, guardian))
    for adult in session.exec(
        select(TrustedAdult)
        .where(TrustedAdult.child_id.in_(child_ids), TrustedAdult.active.is_(True))
        .order_by(TrustedAdult.id)
    ):
        cards[adult.child_id].trusted_adults.append(adult)
    return list(cards.values())
