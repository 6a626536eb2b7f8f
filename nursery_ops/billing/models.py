"""Bills, payments, refunds and the meal account. Money is an integer number of fen (分).

An issued bill is never edited: it is voided (who, when, why) and reissued with a new
number. Numbers run per year without gaps (`BillCounter`). A contract's balance is
derived from its bills, payments and refunds; it is never stored.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class CounterSeries(StrEnum):
    bill = "bill"
    receipt = "receipt"


class BillCounter(SQLModel, table=True):
    """The last number given in a year, one row per series (bills, receipts): raised in the issuing transaction.

    The row is raised with one UPDATE ... RETURNING, which locks it until commit on PostgreSQL (SQLite write
    transactions are BEGIN IMMEDIATE): a second director waits, then gets the next number. A rolled-back issue
    rolls the counter back too, so numbers have no gaps.
    """

    __tablename__ = "bill_counter"

    series: CounterSeries = Field(primary_key=True, sa_type=enum_type(CounterSeries))
    year: int = Field(primary_key=True)
    last_number: int = 0


class Bill(SQLModel, table=True):
    """A bill as issued: its lines are fixed; a mistake is voided and a new bill issued."""

    __tablename__ = "bill"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    sequence: int
    number: str = Field(max_length=20, unique=True)  # "2026-000123"
    contract_id: int = Field(foreign_key="contract.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    period_start: date = Field(index=True)  # the month's sums (dashboard, meal account)
    period_end: date
    total_fen: int
    due_on: date
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    issued_by_id: int = Field(foreign_key="person.id")
    replaces_id: int | None = Field(default=None, foreign_key="bill.id")  # the voided bill this one reissues
    # A supplementary bill (补充账单) for hourly care: the hours of days that had no departure time when
    # the month's bill (this id) was issued. It carries only those hours.
    supplements_id: int | None = Field(default=None, foreign_key="bill.id")
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class LineKind(StrEnum):
    care_fee = "care_fee"  # 托育费 (monthly, pro rata)
    hourly = "hourly"  # 计时托: per started hour
    temporary = "temporary"  # 临时托: per booked day
    meal_fee = "meal_fee"  # 伙食费 per scheduled day
    meal_credit = "meal_credit"  # scheduled days not attended (negative)
    optional = "optional"  # an optional service
    deposit = "deposit"
    discount = "discount"  # negative, with a reason
    adjustment = "adjustment"  # either sign, with a reason


class BillLine(SQLModel, table=True):
    __tablename__ = "bill_line"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True)
    position: int
    kind: LineKind = Field(sa_type=enum_type(LineKind))
    description: str = Field(max_length=200)
    quantity: int = 1  # days, hours, months
    unit_fen: int = 0
    amount_fen: int
    reason: str = Field(default="", max_length=500)  # discounts and adjustments
    # What the line covers, shown in the reader's language: {"message": id, "params": {...}} with the dates,
    # counts and names (`*_on` a date, `dates` a list of dates: the days charged or credited). None on lines
    # issued before it existed; `description` then says it in language-neutral text.
    detail: dict | None = Field(default=None, sa_type=JSON)


class PaymentMethod(StrEnum):
    cash = "cash"
    bank_transfer = "bank_transfer"
    wechat_pay = "wechat_pay"
    alipay = "alipay"


class Payment(SQLModel, table=True):
    """Money received (recorded, not processed); the receipt number runs like bill numbers."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    bill_id: int | None = Field(default=None, foreign_key="bill.id", index=True)
    amount_fen: int
    method: PaymentMethod = Field(sa_type=enum_type(PaymentMethod))
    reference: str = Field(default="", max_length=100)  # transfer or WeChat Pay / Alipay transaction number
    paid_on: date
    receipt_number: str = Field(max_length=20, unique=True)  # "R2026-000045"
    received_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class RefundKind(StrEnum):
    withdrawal = "withdrawal"  # unused prepaid care fee, pro rata by remaining service days
    meals = "meals"  # meal fee of scheduled days not attended
    sick_leave = "sick_leave"  # doctor's note, ≥ N consecutive service days, care fee at a rate
    closure = "closure"  # closure caused by the nursery: full pro rata
    deposit = "deposit"  # in full on leaving, less documented damages


class Refund(SQLModel, table=True):
    """A refund with its calculation trace; requested → paid within 15 days (WARN after)."""

    __tablename__ = "refund"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    kind: RefundKind = Field(sa_type=enum_type(RefundKind))
    period_start: date = Field(index=True)  # the month's sums (dashboard, meal account)
    period_end: date
    amount_fen: int
    # One entry per line of the calculation: {"message": id, "params": {...}, "amount_fen": int | None}
    trace: list[dict] = Field(default_factory=list, sa_type=JSON)
    # The days whose care fee (or meal fee) this refund gives back, ISO dates: no day is refunded twice,
    # under whatever kind (a withdrawal covers every day from `period_start` to `period_end`). None on refunds
    # recorded before it existed: their whole period counts.
    days: list[str] | None = Field(default=None, sa_type=JSON)
    requested_on: date
    due_on: date = Field(index=True)  # late refunds on the dashboard; requested_on + 15 days
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    paid_on: date | None = None
    paid_by_id: int | None = Field(default=None, foreign_key="person.id")
    method: PaymentMethod | None = Field(default=None, sa_type=enum_type(PaymentMethod))
    reference: str = Field(default="", max_length=100)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)


class MealSpending(SQLModel, table=True):
    """Food bought in a month, entered by the director: the meal account sets it against meal income."""

    __tablename__ = "meal_spending"

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)  # the first day of the month
    amount_fen: int
    note: str = Field(default="", max_length=500)
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    voided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=500)
