"""Everything the nursery holds about one child, for the family or the director (个人信息查阅、复制).

A guardian may read and copy their child's personal information (个人信息保护法
第45条); the director produces the same record for any child, e.g. one who leaves.
The record is read table by table from a declared list, one query per table
however many rows: `CHILD_TABLES` (keyed by the child's id) and `LINKED_TABLES`
(reached through one of those rows). A test fails when a table keyed by a child
is in neither list, so a new table cannot silently be left out.

The family's copy (scope "family") leaves out what the family page does not show
and the law does not give them: suspected-abuse incidents and the police-report
fields of any incident (未成年人保护法 第11条 — the report must not warn a
suspect), ended guardian links (a former guardian's details are theirs, not the
child's), daily-log photos whose entry was voided (e.g. the wrong child tagged),
and the audit log. The director's copy (scope "staff") has everything.
"""

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session, SQLModel, select

from nursery_ops import audit
from nursery_ops.attendance.models import Absence, Attendance, MorningCheck, PickupDelegate, TemporaryBooking
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.billing.models import Bill, BillLine, Payment, Refund
from nursery_ops.children.access import guardian_child_ids
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult
from nursery_ops.clock import utcnow
from nursery_ops.contracts.models import Contract, ContractCharge
from nursery_ops.dailylog.models import LogEntry, PhotoTag
from nursery_ops.db import open_session
from nursery_ops.enrolment.models import Enrolment, RoomTransfer
from nursery_ops.errors import NotFound
from nursery_ops.growth.models import Measurement
from nursery_ops.health.models import HealthExam, ReturnCertificate
from nursery_ops.illness.models import Illness, MiddayCheck, Observation
from nursery_ops.incidents.models import Incident, IncidentStaff
from nursery_ops.incidents.rules import RESTRICTED_CATEGORIES
from nursery_ops.medication.models import MedicationAuthorisation, MedicationDose
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import photo_path
from nursery_ops.rooms.models import Room

FAMILY = "family"
STAFF = "staff"
FORMAT_VERSION = 1

# Tables keyed by the child's id: (model, the column holding it). Read in this order.
CHILD_TABLES: tuple[tuple[type[SQLModel], Any], ...] = (
    (Child, Child.id),
    (ChildGuardian, ChildGuardian.child_id),
    (TrustedAdult, TrustedAdult.child_id),
    (PickupDelegate, PickupDelegate.child_id),
    (Enrolment, Enrolment.child_id),
    (Attendance, Attendance.child_id),
    (Absence, Absence.child_id),
    (MorningCheck, MorningCheck.child_id),
    (MiddayCheck, MiddayCheck.child_id),
    (Observation, Observation.child_id),
    (LogEntry, LogEntry.child_id),
    (PhotoTag, PhotoTag.child_id),
    (Illness, Illness.child_id),
    (ReturnCertificate, ReturnCertificate.child_id),
    (MedicationAuthorisation, MedicationAuthorisation.child_id),
    (MedicationDose, MedicationDose.child_id),
    (Incident, Incident.child_id),
    (Measurement, Measurement.child_id),
    (HealthExam, HealthExam.child_id),
    (Contract, Contract.child_id),
    (Bill, Bill.child_id),
    (Payment, Payment.child_id),
    (Refund, Refund.child_id),
    (audit.AuditEntry, audit.AuditEntry.child_id),
)

# Tables reached through the child's rows: (model, its column, the child's columns whose values it matches).
LINKED_TABLES: tuple[tuple[type[SQLModel], Any, tuple[Any, ...]], ...] = (
    (Guardian, Guardian.id, (ChildGuardian.guardian_id,)),
    (RoomTransfer, RoomTransfer.enrolment_id, (Enrolment.id,)),
    (TemporaryBooking, TemporaryBooking.enrolment_id, (Enrolment.id,)),
    (IncidentStaff, IncidentStaff.incident_id, (Incident.id,)),
    (ContractCharge, ContractCharge.contract_id, (Contract.id,)),
    (BillLine, BillLine.bill_id, (Bill.id,)),
    # The child's portrait, the pick-up adults' photos, and daily-log photos the child is tagged in.
    (Photo, Photo.id, (Child.photo_id, TrustedAdult.photo_id, PhotoTag.photo_id)),
)

# Only the director's copy.
STAFF_ONLY_TABLES = frozenset({audit.AuditEntry})

# Technical columns that say nothing about the child (double-submit tokens, file names on disk).
NEVER_EXPORTED = frozenset({"form_token", "storage_name"})
POLICE_FIELDS = frozenset({"police_reported_at", "police_station", "police_reference", "police_recorded_by_id"})
# Staff working notes the family page never shows either (the checker's note at the door, the call note, the
# director's sign-off remarks): the nursery's own notes on its work, not the child's record. An exam's notes are
# the doctor's findings and stay.
FAMILY_HIDDEN_COLUMNS: dict[type[SQLModel], frozenset[str]] = {
    Incident: POLICE_FIELDS | {"sign_off_remarks"},
    MorningCheck: frozenset({"notes"}),
    MiddayCheck: frozenset({"notes"}),
    Measurement: frozenset({"notes"}),
    Attendance: frozenset({"check_in_override_reason"}),
    Absence: frozenset({"call_note"}),
}

# Care and health rows the family copy leaves out once voided, as the family page does: a voided entry is most often
# one recorded for the wrong child, so its words may be another child's. Money voids stay: they explain the balance.
FAMILY_UNVOIDED = (LogEntry, Illness, MedicationDose, Measurement, HealthExam, ReturnCertificate)


def _standing_photo_entry():
    # The rule of photos.service.visible_photo: a family sees a log photo while its entry stands.
    return (
        select(LogEntry.id)
        .where(LogEntry.photo_id == PhotoTag.photo_id, LogEntry.voided_at.is_(None), LogEntry.replaced.is_(False))
        .exists()
    )


def family_filters() -> dict[type[SQLModel], list]:
    """Row filters of the family's copy, applied wherever the table is read (also as a link's source)."""
    filters = {model: [model.voided_at.is_(None)] for model in FAMILY_UNVOIDED}
    return filters | {
        Incident: [Incident.category.not_in(list(RESTRICTED_CATEGORIES))],
        ChildGuardian: [ChildGuardian.active.is_(True)],
        PhotoTag: [_standing_photo_entry()],
    }


CHILD_COLUMN = {model: column for model, column in CHILD_TABLES}


@dataclass
class ChildRecord:
    """The child's rows by table name, for one scope; `photos` are the Photo rows whose files go in the ZIP."""

    child: Child
    scope: str
    exported_at: datetime
    tables: dict[str, list[SQLModel]]
    rooms: dict[int, Room] = field(default_factory=dict)

    def rows(self, table: str) -> list:
        return self.tables.get(table, [])

    @property
    def photos(self) -> list[Photo]:
        return self.rows(Photo.__tablename__)

    @property
    def is_family(self) -> bool:
        return self.scope == FAMILY

    def shows(self, table: str, column: str) -> bool:
        """Whether this copy carries the column (the printable page asks before printing a note)."""
        return column not in hidden_columns(MODELS_BY_TABLE[table], self.scope)

    def by_id(self, table: str) -> dict[int, SQLModel]:
        return {row.id: row for row in self.rows(table)}


def _filters(scope: str) -> dict[type[SQLModel], list]:
    return family_filters() if scope == FAMILY else {}


def _child_rows(model: type[SQLModel], child_id: int, filters: dict):
    return select(model).where(CHILD_COLUMN[model] == child_id, *filters.get(model, []))


def _linked_rows(model, column, sources: tuple, child_id: int, filters: dict):
    matches = []
    for source in sources:
        owner = source.class_
        ids = select(source).where(CHILD_COLUMN[owner] == child_id, source.is_not(None), *filters.get(owner, []))
        matches.append(column.in_(ids))
    return select(model).where(or_(*matches))


def tables_in_scope(scope: str):
    child_tables = [(model, column) for model, column in CHILD_TABLES if scope == STAFF or model not in STAFF_ONLY_TABLES]
    return child_tables, list(LINKED_TABLES)


def load_record(session: Session, child: Child, scope: str) -> ChildRecord:
    """Every row of the child in `scope`: one query per table, rows in id order."""
    filters = _filters(scope)
    child_tables, linked_tables = tables_in_scope(scope)
    tables: dict[str, list[SQLModel]] = {}
    for model, _column in child_tables:
        statement = _child_rows(model, child.id, filters)
        tables[model.__tablename__] = list(session.exec(statement.order_by(*model.__table__.primary_key.columns)).all())
    for model, column, sources in linked_tables:
        statement = _linked_rows(model, column, sources, child.id, filters)
        tables[model.__tablename__] = list(session.exec(statement.order_by(*model.__table__.primary_key.columns)).all())
    room_ids = {row.room_id for name in ("enrolment", "attendance", "log_entry") for row in tables.get(name, []) if row.room_id}
    room_ids |= {room_id for row in tables["room_transfer"] for room_id in (row.from_room_id, row.to_room_id) if room_id}
    rooms = {room.id: room for room in session.exec(select(Room).where(Room.id.in_(room_ids)))} if room_ids else {}
    return ChildRecord(child, scope, utcnow(), tables, rooms)


def hidden_columns(model: type[SQLModel], scope: str) -> frozenset[str]:
    return NEVER_EXPORTED | (FAMILY_HIDDEN_COLUMNS.get(model, frozenset()) if scope == FAMILY else frozenset())


# ---------------------------------------------------------------- who may export which child


def family_child(session: Session, me: CurrentPerson, child_id: int) -> Child:
    """A child of this guardian's (the same rule as the family page); NotFound for anyone else's."""
    child = session.get(Child, child_id)
    if child is None or child_id not in guardian_child_ids(session, me.person.guardian_id):
        raise NotFound()
    return child


def any_child(session: Session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound()
    return child


def record_export(engine: Engine, me: CurrentPerson, child: Child, scope: str, kind: str) -> None:
    """Who exported which child's record, in what form (a read: its own short write transaction)."""
    with open_session(engine, write=True) as writer:
        audit.record(writer, me.id, "child_record_exported", child, child_id=child.id,
                     after={"scope": scope, "format": kind})
        writer.commit()


# ---------------------------------------------------------------- data.json and the ZIP


MODELS_BY_TABLE = {model.__tablename__: model for model, _c in CHILD_TABLES} | {
    model.__tablename__: model for model, _c, _s in LINKED_TABLES
}


def photo_file_name(photo: Photo) -> str:
    return f"photos/{photo.id}.jpg"


def data_document(record: ChildRecord, files: dict[int, str | None]) -> dict:
    """The JSON document: every row as its columns (dates ISO 8601, timestamps UTC, money in integer fen as *_fen)."""
    tables = {}
    for table, rows in record.tables.items():
        hidden = hidden_columns(MODELS_BY_TABLE[table], record.scope)
        tables[table] = [audit.snapshot(row, exclude=hidden) for row in rows]
    return {
        "format": "nursery_ops child record",
        "version": FORMAT_VERSION,
        "scope": record.scope,
        "exported_at": record.exported_at.isoformat(),
        "child_id": record.child.id,
        "tables": tables,
        "photos": [{"photo_id": photo.id, "file": files.get(photo.id)} for photo in record.photos],
    }


def _json_default(value):
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON: {type(value).__name__}")


CHUNK_BYTES = 64 * 1024
# A record with years of photos can be large: it spills to a temporary file past this size.
IN_MEMORY_BYTES = 16 * 1024 * 1024


def build_zip(record: ChildRecord):
    """The ZIP (data.json and photos/<id>.jpg) in a spooled temporary file, rewound; the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)
    files: dict[int, str | None] = {}
    with zipfile.ZipFile(spool, "w") as archive:
        for photo in record.photos:
            path = photo_path(photo)
            if not path.is_file():
                files[photo.id] = None  # listed in data.json as missing, not silently dropped
                continue
            # JPEG is compressed already: stored as is.
            archive.write(path, photo_file_name(photo), compress_type=zipfile.ZIP_STORED)
            files[photo.id] = photo_file_name(photo)
        document = json.dumps(data_document(record, files), ensure_ascii=False, indent=2, default=_json_default)
        archive.writestr("data.json", document, compress_type=zipfile.ZIP_DEFLATED)
    spool.seek(0)
    return spool


def stream(spool) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
