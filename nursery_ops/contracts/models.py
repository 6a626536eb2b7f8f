"""Fee contracts (托育服务合同) and the nursery's calendar of closed and extra working days.

A contract belongs to one enrolment. Once signed it is never edited: an amendment is a
new version (`replaces_id`) and the old one is kept with `superseded` set. Money is an
integer number of fen (分).
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type
from nursery_ops.enrolment.models import CareType
from nursery_ops.rooms.models import RoomType


class ContractStatus(StrEnum):
    draft = "draft"  # being written; may be changed or discarded
    signed = "signed"  # both signatures recorded; the service period has not begun
    active = "active"  # signed and in its service period
    ended = "ended"  # past its end, or ended early (withdrawal)


class FeeUnit(StrEnum):
    month = "month"  # full day, half day: a monthly fee
    day = "day"  # temporary care: per booked day
    hour = "hour"  # hourly care: per started hour


class ChargeUnit(StrEnum):
    month = "month"
    once = "once"


class Contract(SQLModel, table=True):
    """One version of a fee contract. The current version of an enrolment's contract has `superseded` False."""

    __tablename__ = "contract"
    __table_args__ = (
        # One signed contract in force per enrolment: amendments supersede, they do not sit beside.
        # Drafts (a first draft, or an amendment of the signed version) are outside the index, so an
        # amendment can be written while the version it replaces is still in force.
        Index(
            "uq_contract_current_enrolment",
            "enrolment_id",
            unique=True,
            sqlite_where=text("superseded = 0 AND status IN ('signed', 'active')"),
            postgresql_where=text("superseded = false AND status IN ('signed', 'active')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    version: int = 1
    replaces_id: int | None = Field(default=None, foreign_key="contract.id")
    superseded: bool = False
    amendment_reason: str = Field(default="", max_length=500)
    status: ContractStatus = Field(sa_type=enum_type(ContractStatus), index=True)

    # Service
    start_date: date
    end_date: date
    care_type: CareType = Field(sa_type=enum_type(CareType))
    hours: str = Field(max_length=100)  # e.g. "周一至周五 7:30–17:30"
    room_type: RoomType = Field(sa_type=enum_type(RoomType))

    # Charges, in fen
    care_fee_fen: int  # 托育费 per `care_fee_unit`
    care_fee_unit: FeeUnit = Field(sa_type=enum_type(FeeUnit))
    meal_fee_per_day_fen: int = 0  # 伙食费 per scheduled day
    deposit_fen: int = 0

    # Payment schedule: months paid in advance at a time (at most the prepayment limit), due on a day of the month
    months_per_payment: int = 1
    payment_due_day: int = 5

    # Refund rules (DOMAIN.md defaults; each a setting of this contract)
    refund_withdrawal_pro_rata: bool = True
    withdrawal_notice_days: int = 0
    refund_meals_not_attended: bool = True
    sick_refund_min_days: int = 5  # consecutive service days with a doctor's note
    sick_refund_percent: int = 50  # of the care fee for those days
    refund_closure_full: bool = True  # closure caused by the nursery: full pro rata
    refund_deposit: bool = True  # in full on leaving, less documented damages

    dispute_resolution: str = Field(default="", max_length=2000)
    other_terms: str = Field(default="", max_length=5000)

    # Signatures (on paper; recorded here)
    guardian_id: int | None = Field(default=None, foreign_key="guardian.id")
    guardian_signed_on: date | None = None
    director_signed_by_id: int | None = Field(default=None, foreign_key="person.id")
    director_signed_on: date | None = None

    ended_on: date | None = None
    end_reason: str = Field(default="", max_length=500)
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class ContractCharge(SQLModel, table=True):
    """An optional service on a contract (兴趣课, 校车...), monthly or once."""

    __tablename__ = "contract_charge"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    name: str = Field(max_length=100)
    amount_fen: int
    unit: ChargeUnit = Field(sa_type=enum_type(ChargeUnit))


class CalendarDayKind(StrEnum):
    closed = "closed"  # 法定节假日, a closure: no service that day
    working = "working"  # 调休: a weekend day the nursery opens as a working day


class CalendarDay(SQLModel, table=True):
    """The director's holiday and closure calendar: service days are the schedule's days less these closures.

    `caused_by_nursery` marks a closure the nursery caused (repairs, staff shortage): its
    care fee is refunded in full pro rata. On a 调休 working day (`working`) the children
    come as on the weekday given in `as_weekday` (1 = Monday).
    """

    __tablename__ = "calendar_day"

    id: int | None = Field(default=None, primary_key=True)
    on_date: date = Field(unique=True)
    kind: CalendarDayKind = Field(sa_type=enum_type(CalendarDayKind))
    as_weekday: int | None = None
    caused_by_nursery: bool = False
    name: str = Field(max_length=100)  # 国庆节, 设备检修...
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class ForbiddenPhrase(SQLModel, table=True):
    """A clause the director adds to the built-in list of void refund / "final interpretation" wording.

    Contract text containing one (case and spaces ignored) cannot be signed. Removing a phrase
    keeps the row (`removed_at`), so the audit log and old refusals still make sense.
    """

    __tablename__ = "contract_forbidden_phrase"

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(max_length=100)
    added_by_id: int = Field(foreign_key="person.id")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    removed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    removed_by_id: int | None = Field(default=None, foreign_key="person.id")
