"""The audit log: append-only, written in the same transaction as the change.

Every change to child, health, money or access data, every override of a BLOCK
rule, and every staff read of a health record is recorded here.
"""

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Engine
from sqlmodel import Field, Session, SQLModel

from nursery_ops import pagecache
from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, open_session


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    child_id: int | None = Field(default=None, index=True)
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)
    reason: str | None = Field(default=None, max_length=1000)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def snapshot(row: SQLModel | None, *, exclude: set[str] = frozenset()) -> dict | None:
    """The row's columns as JSON-ready values (secrets excluded by the caller)."""
    if row is None:
        return None
    return {key: _plain(value) for key, value in row.model_dump().items() if key not in exclude}


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    row: SQLModel,
    *,
    before: dict | None = None,
    after: dict | None = None,
    child_id: int | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction (flushes so ids exist)."""
    session.flush()
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        entity=row.__tablename__,
        entity_id=getattr(row, "id", None),
        child_id=child_id,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(entry)
    return entry


def record_read(engine: Engine, actor_id: int, entity: str, child_id: int | None) -> None:
    """A staff read of a child's health record (DOMAIN.md "Records and privacy").

    Page views run in a read transaction, so the entry is written in its own short one
    (`request.app.state.engine`); `entity` names what was read ("growth", "medication"...).
    """
    # A page kept by nursery_ops.pagecache is read again each time it is served: recorded each time.
    with pagecache.on_every_answer(lambda: record_read(engine, actor_id, entity, child_id)):
        with open_session(engine, write=True) as writer:
            writer.add(AuditEntry(actor_id=actor_id, action="health_record_read", entity=entity, child_id=child_id))
            writer.commit()


def void(session: Session, actor_id: int, row: SQLModel, action: str, reason: str, now: datetime) -> None:
    """Mark a record void instead of deleting it: who, when and why, audited in the same transaction.

    For tables with `voided_at`, `voided_by_id` and `void_reason`; the caller commits.
    """
    before = snapshot(row)
    row.voided_at, row.voided_by_id, row.void_reason = now, actor_id, reason
    session.add(row)
    record(session, actor_id, action, row, before=before, after=snapshot(row), child_id=getattr(row, "child_id", None),
           reason=reason)
