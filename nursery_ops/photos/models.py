"""Stored photos: re-encoded files outside the web root, served only through access checks."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime


class Photo(SQLModel, table=True):
    __tablename__ = "photo"

    id: int | None = Field(default=None, primary_key=True)
    storage_name: str = Field(max_length=80, unique=True)
    content_type: str = Field(max_length=32)
    width: int
    height: int
    byte_size: int
    uploaded_by_id: int | None = Field(default=None, foreign_key="person.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
