"""Rooms (班) and the caregivers assigned to them."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class RoomType(StrEnum):
    infant = "infant"  # 乳儿班, 6–12 months
    toddler = "toddler"  # 托小班, 12–24 months
    older = "older"  # 托大班, 24–36 months
    mixed = "mixed"  # 混合编班, 18–36 months


class Room(SQLModel, table=True):
    """班 — a group of children with its own caregivers."""

    __tablename__ = "room"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    room_type: RoomType = Field(sa_type=enum_type(RoomType))
    capacity: int
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class RoomCaregiver(SQLModel, table=True):
    """A caregiver assigned to a room (the room's tablet is theirs)."""

    __tablename__ = "room_caregiver"
    __table_args__ = (UniqueConstraint("room_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
