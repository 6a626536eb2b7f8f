"""The public disclosure page (信息公示): each section a text, every saved change a new version."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from nursery_ops.clock import utcnow
from nursery_ops.db import UtcDateTime, enum_type


class Section(StrEnum):
    """What a nursery publishes (DOMAIN.md "Parents, committee, disclosure"), in the order shown."""

    about = "about"  # 机构基本信息: name, address, opening hours, places
    fees = "fees"  # 收费项目及标准
    refunds = "refunds"  # 退费办法
    routine = "routine"  # 一日生活安排
    menu = "menu"  # 每周食谱
    health_safety = "health_safety"  # 卫生保健与安全措施
    filing = "filing"  # 备案号
    complaints = "complaints"  # 投诉渠道


class DisclosureText(SQLModel, table=True):
    """One version of one section; the newest version of each section is what the public page shows.

    Versions are never changed or deleted, so the history of what was published stays readable.
    """

    __tablename__ = "disclosure_text"
    __table_args__ = (UniqueConstraint("section", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    section: Section = Field(sa_type=enum_type(Section), index=True)
    version: int
    body: str = Field(max_length=5000)
    changed_by_id: int = Field(foreign_key="person.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
