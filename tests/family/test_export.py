"""A child's whole record for the family (their own child) and the director (any child): page, ZIP, audit."""

import io
import json
import zipfile
from datetime import time, timedelta

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel, select

from nursery_ops.attendance.models import Absence, AbsenceReason, Attendance, CheckOutcome, MorningCheck, PickupDelegate, TemporaryBooking
from nursery_ops.audit import AuditEntry
from nursery_ops.billing.models import PaymentMethod, Refund, RefundKind
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import ContractCharge
from nursery_ops.dailylog.models import EntryKind, LogEntry, PhotoTag
from nursery_ops.enrolment.models import EnrolmentStatus, RoomTransfer
from nursery_ops.family import export
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.illness.models import Illness, MiddayCheck, MiddayOutcome, Observation, Skin, Spirits
from nursery_ops.incidents.models import Incident, IncidentCategory, IncidentStaff
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from nursery_ops.photos.models import Photo
from nursery_ops.settings import get_settings
from tests import factories as f


def add(session, *rows):
    session.add_all(rows)
    session.flush()
    return rows[0]


def photo_of(session, tag: str, child_ids, entry_child, room, by, *, voided=False):
    """A daily-log photo (a file under DATA_DIR) of `entry_child`, tagged with `child_ids`."""
    photo = add(session, Photo(storage_name=f"{tag}.jpg", content_type="image/jpeg", width=1, height=1, byte_size=4))
    directory = get_settings().photo_dir
    directory.mkdir(parents=True, exist_ok=True)
    (directory / photo.storage_name).write_bytes(f"JPEG{tag}".encode())
    now = utcnow()
    add(session, LogEntry(child_id=entry_child.id, room_id=room.id, on_date=local_today(), kind=EntryKind.photo, at=now,
                          photo_id=photo.id, text=f"{tag} photo", by_id=by.id,
                          voided_at=now if voided else None, voided_by_id=by.id if voided else None,
                          void_reason="wrong child" if voided else None))
    for child_id in child_ids:
        add(session, PhotoTag(photo_id=photo.id, child_id=child_id))
    return photo


def fill(session, world, child, guardian, room, carer, tag: str, days_ago: int = 0):
    """Something in every section of `child`'s record; every text carries `tag`."""
    today, now = local_today() - timedelta(days=days_ago), utcnow() - timedelta(days=days_ago)
    adult = f.make_trusted_adult(session, child, f"{tag}奶奶", phone="13900000001")
    delegate = add(session, PickupDelegate(child_id=child.id, on_date=today, full_name=f"{tag}叔叔", phone="13900000002",
                                           approved_by_guardian_id=guardian.id, approval_how="phone", recorded_by_id=carer.id))
    check = add(session, MorningCheck(child_id=child.id, on_date=today, temperature_tenths=366, outcome=CheckOutcome.admit,
                                      by_id=carer.id, notes=f"{tag} morning"))
    add(session, Attendance(child_id=child.id, room_id=room.id, on_date=today, check_in_at=now, brought_by=f"{tag}妈妈",
                            checked_in_by_id=carer.id, morning_check_id=check.id, picked_up_by_delegate_id=delegate.id,
                            check_out_at=now + timedelta(hours=6), checked_out_by_id=carer.id))
    add(session, Absence(child_id=child.id, room_id=room.id, on_date=today - timedelta(days=1), reason=AbsenceReason.sick,
                         symptoms=f"{tag} cough", recorded_by_id=carer.id))
    add(session, MiddayCheck(child_id=child.id, room_id=room.id, on_date=today, at=now, temperature_tenths=368,
                             spirits=Spirits.good, skin=Skin.normal, outcome=MiddayOutcome.fine, by_id=carer.id,
                             notes=f"{tag} midday"))
    add(session, Observation(child_id=child.id, room_id=room.id, on_date=today, at=now, text=f"{tag} observed", by_id=carer.id))
    add(session, LogEntry(child_id=child.id, room_id=room.id, on_date=today, kind=EntryKind.note, at=now,
                          text=f"{tag} note", by_id=carer.id))
    add(session, Illness(child_id=child.id, room_id=room.id, on_date=today, started_at=now, started_by_id=carer.id,
                         symptoms="fever cough", temperature_tenths=385, symptom_note=f"{tag} ill"))
    add(session, ReturnCertificate(child_id=child.id, required_since=today, reason=f"{tag} certificate"))
    authorisation = f.make_authorisation(session, child, guardian, world.health, drug_name=f"{tag}药")
    add(session, MedicationDose(authorisation_id=authorisation.id, child_id=child.id, room_id=room.id, on_date=today,
                                slot=time(8, 30), outcome=DoseOutcome.given, at=now, amount_hundredths=250,
                                given_by_id=carer.id))
    fall = f.make_incident(session, child, carer, place=f"{tag}滑梯")
    add(session, IncidentStaff(incident_id=fall.id, person_id=carer.id))
    abuse = f.make_incident(session, child, carer, category=IncidentCategory.suspected_abuse, place=f"{tag}门口",
                            description=f"{tag} bruises", police_reported_at=now, police_station=f"{tag}派出所",
                            police_reference=f"{tag}-110")
    add(session, IncidentStaff(incident_id=abuse.id, person_id=world.director.id))
    f.make_measurement(session, child, world.health, length_mm=820, weight_g=11250, notes=f"{tag} growth")
    f.make_exam(session, child, today - timedelta(days=20), notes=f"{tag} exam")
    enrolment = child_enrolment(session, child)
    add(session, RoomTransfer(enrolment_id=enrolment.id, from_room_id=room.id, to_room_id=room.id, on_date=today,
                              reason=f"{tag} transfer", by_id=world.director.id))
    add(session, TemporaryBooking(enrolment_id=enrolment.id, on_date=today + timedelta(days=3), booked_by_id=world.director.id))
    contract = f.make_contract(session, enrolment, world.director, other_terms=f"{tag} terms")
    add(session, ContractCharge(contract_id=contract.id, name=f"{tag}校服", amount_fen=15000, unit="once"))
    f.make_refund_bill(session, contract, world.director, today.replace(day=1), today.replace(day=1) + timedelta(days=27))
    f.make_refund_payment(session, contract, world.director, 280000, today, method=PaymentMethod.cash,
                          reference=f"{tag} payment")
    add(session, Refund(contract_id=contract.id, child_id=child.id, kind=RefundKind.meals, period_start=today,
                        period_end=today, amount_fen=2000, requested_on=today, due_on=today + timedelta(days=15),
                        recorded_by_id=world.director.id, reference=f"{tag} refund"))
    portrait = add(session, Photo(storage_name=f"{tag}-portrait.jpg", content_type="image/jpeg", width=1, height=1, byte_size=4))
    (get_settings().photo_dir).mkdir(parents=True, exist_ok=True)
    (get_settings().photo_dir / portrait.storage_name).write_bytes(b"JPEGportrait")
    child.photo_id = portrait.id
    child.allergies = f"{tag}花生"
    session.add_all([child, adult])
    session.flush()


def child_enrolment(session, child):
    from nursery_ops.enrolment.models import Enrolment

    return session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()


@pytest.fixture
def records(session, world):
    """Child X (room A) and child Y (room B) both with full records; a photo of X alone, one of Y alone, one of both."""
    fill(session, world, world.child_x, world.guardian_x, world.room_a, world.caregiver_a, "XX")
    fill(session, world, world.child_y, world.guardian_y, world.room_b, world.caregiver_b, "YY")
    photos = {
        "x": photo_of(session, "x-alone", [world.child_x.id], world.child_x, world.room_a, world.caregiver_a),
        "y": photo_of(session, "y-alone", [world.child_y.id], world.child_y, world.room_b, world.caregiver_b),
        "both": photo_of(session, "both", [world.child_x.id, world.child_y.id], world.child_y, world.room_b, world.caregiver_b),
    }
    session.commit()
    return photos


def open_zip(response):
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return archive, json.loads(archive.read("data.json"))


def fresh(session):
    session.rollback()
    session.expire_all()


# ---------------------------------------------------------------- what is in it


def test_a_parent_downloads_their_childs_record_and_nothing_of_another_child(world, client_for, records):
    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    text = archive.read("data.json").decode()
    assert data["child_id"] == world.child_x.id and data["scope"] == "family"
    assert "王小明" in text and "XX花生" in text and "XX奶奶" in text and "XX药" in text
    for other in ("赵小红", "赵爸爸", "YY", "y-alone"):
        assert other not in text
    for table, rows in data["tables"].items():
        for row in rows:
            if "child_id" in row:
                assert row["child_id"] == world.child_x.id, table
    assert [row["id"] for row in data["tables"]["child"]] == [world.child_x.id]
    # Photos: X's portrait, X alone, and the photo of both children — never Y's own.
    photo_ids = {entry["photo_id"] for entry in data["photos"]}
    assert photo_ids == {world.child_x.photo_id, records["x"].id, records["both"].id}
    assert {name for name in archive.namelist() if name.startswith("photos/")} == {f"photos/{i}.jpg" for i in photo_ids}
    assert archive.read(f"photos/{records['x'].id}.jpg") == b"JPEGx-alone"
    # Y's photo entry of both children is Y's log, not X's.
    assert "both photo" not in text


def test_the_json_has_every_section_with_iso_dates_and_money_in_fen(world, client_for, records):
    _archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    tables = data["tables"]
    for name in ("child", "guardian", "child_guardian", "trusted_adult", "pickup_delegate", "enrolment", "room_transfer",
                 "temporary_booking", "attendance", "absence", "log_entry", "photo_tag", "morning_check", "midday_check",
                 "observation", "illness", "return_certificate", "medication_authorisation", "medication_dose",
                 "incident", "incident_staff", "growth_measurement", "health_exam", "contract", "contract_charge",
                 "bill", "bill_line", "payment", "refund", "photo"):
        assert tables[name], f"{name} is empty"
    assert tables["child"][0]["birth_date"] == world.child_x.birth_date.isoformat()
    assert tables["attendance"][0]["check_in_at"].endswith("+00:00")
    assert tables["bill"][0]["total_fen"] == 280000 and tables["payment"][0]["amount_fen"] == 280000
    assert tables["contract_charge"][0]["amount_fen"] == 15000
    values = [(key, value) for rows in tables.values() for row in rows for key, value in row.items()]
    assert all(isinstance(value, int) for key, value in values if key.endswith("_fen"))
    assert not [key for key, value in values if isinstance(value, float)]
    assert all("form_token" not in row and "storage_name" not in row for rows in tables.values() for row in rows)
    assert "consent_on" in tables["child"][0]


def test_the_family_copy_leaves_out_suspected_abuse_and_police_fields(world, client_for, records):
    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    text = archive.read("data.json").decode()
    assert [row["category"] for row in data["tables"]["incident"]] == ["fall"]
    assert all(not key.startswith("police_") for row in data["tables"]["incident"] for key in row)
    assert "XX派出所" not in text and "XX bruises" not in text and "XX门口" not in text
    assert [row["person_id"] for row in data["tables"]["incident_staff"]] == [world.caregiver_a.id]
    assert "audit_entry" not in data["tables"]
    page = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export").text
    assert "XX滑梯" in page and "XX门口" not in page and "XX派出所" not in page


def test_the_director_copy_has_everything_including_abuse_reports_and_the_audit_log(world, client_for, records):
    archive, data = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    assert data["scope"] == "staff"
    incidents = {row["category"]: row for row in data["tables"]["incident"]}
    assert set(incidents) == {"fall", "suspected_abuse"} and incidents["suspected_abuse"]["police_station"] == "XX派出所"
    assert len(data["tables"]["incident_staff"]) == 2
    assert "audit_entry" in data["tables"]
    assert "YY" not in archive.read("data.json").decode()
    page = client_for(world.director).get(f"/children/{world.child_x.id}/export").text
    assert "XX派出所" in page and "Audit log" in page


def test_the_family_copy_shows_only_current_guardians(world, client_for, session, records):
    ended = f.make_guardian(session, world.child_x, "前监护人", phone="13511110000", active=False)
    session.commit()
    _archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    assert ended.id not in {row["id"] for row in data["tables"]["guardian"]}
    _archive, staff = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    assert ended.id in {row["id"] for row in staff["tables"]["guardian"]}


def test_a_photo_whose_entry_was_voided_is_left_out_of_the_family_copy(world, client_for, session, records):
    wrong = photo_of(session, "voided", [world.child_x.id], world.child_x, world.room_a, world.caregiver_a, voided=True)
    session.commit()
    _archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    assert wrong.id not in {entry["photo_id"] for entry in data["photos"]}
    _archive, staff = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    assert wrong.id in {entry["photo_id"] for entry in staff["photos"]}


def test_the_family_copy_leaves_out_the_staffs_working_notes_and_the_director_copy_keeps_them(world, client_for, session, records):
    incident = session.exec(select(Incident).where(Incident.child_id == world.child_x.id,
                                                   Incident.category == IncidentCategory.fall)).one()
    incident.sign_off_remarks = "XX 园长批注"
    attendance = session.exec(select(Attendance).where(Attendance.child_id == world.child_x.id)).one()
    attendance.check_in_override_reason = "XX 园长特批"
    absence = session.exec(select(Absence).where(Absence.child_id == world.child_x.id)).one()
    absence.call_note = "XX 电话记录"
    session.add_all([incident, attendance, absence])
    session.commit()
    notes = ("XX morning", "XX midday", "XX growth", "XX 园长批注", "XX 园长特批", "XX 电话记录")

    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    text = archive.read("data.json").decode()
    page = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export").text
    for note in notes:
        assert note not in text and note not in page, note
    assert "notes" not in data["tables"]["morning_check"][0] and "sign_off_remarks" not in data["tables"]["incident"][0]
    assert "XX exam" in text  # the exam's notes are the doctor's findings: the family's to keep

    staff_archive, _data = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    staff_text = staff_archive.read("data.json").decode()
    assert all(note in staff_text for note in notes)


def test_the_family_copy_leaves_out_voided_care_and_health_entries_that_may_be_another_childs(world, client_for, session, records):
    now = utcnow()
    wrong = add(session, LogEntry(child_id=world.child_x.id, room_id=world.room_a.id, on_date=local_today(),
                                  kind=EntryKind.note, at=now, text="小红今天咬人了", by_id=world.caregiver_a.id,
                                  voided_at=now, voided_by_id=world.caregiver_a.id, void_reason="记错孩子：是赵小红"))
    add(session, Illness(child_id=world.child_x.id, room_id=world.room_a.id, on_date=local_today(), started_at=now,
                         started_by_id=world.caregiver_a.id, symptoms="rash", symptom_note="小红的疹子",
                         voided_at=now, voided_by_id=world.caregiver_a.id, void_reason="wrong child"))
    session.commit()

    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    text = archive.read("data.json").decode()
    page = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export").text
    for leaked in ("小红", "记错孩子"):
        assert leaked not in text and leaked not in page
    assert wrong.id not in {row["id"] for row in data["tables"]["log_entry"]}
    assert "XX note" in text and "XX ill" in text  # what stands is all there
    _archive, staff = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    assert wrong.id in {row["id"] for row in staff["tables"]["log_entry"]}


def test_a_photo_of_two_children_carries_neither_the_other_childs_tag_nor_caption(world, client_for, records):
    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    both = records["both"].id
    assert [tag["child_id"] for tag in data["tables"]["photo_tag"] if tag["photo_id"] == both] == [world.child_x.id]
    assert archive.read(f"photos/{both}.jpg") == b"JPEGboth"
    text = archive.read("data.json").decode()
    assert "both photo" not in text and str(world.child_y.id) not in {str(tag["child_id"]) for tag in data["tables"]["photo_tag"]}


def test_the_family_export_is_a_tab_of_the_childs_pages_and_prints_only_the_record(world, client_for, records):
    page = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export").text
    assert f'href="/family/children/{world.child_x.id}/export" aria-current="page"' in page
    head = page[: page.index('<article class="export-record">')]
    assert '<div class="no-print">' in head and 'class="family-tabs no-print"' in head
    assert "data-print" in head
    staff_page = client_for(world.director).get(f"/children/{world.child_x.id}/export").text
    assert "family-tabs" not in staff_page and f'href="/children/{world.child_x.id}"' in staff_page


def test_a_photo_file_missing_on_disk_is_listed_without_a_file(world, client_for, records):
    (get_settings().photo_dir / "x-alone.jpg").unlink()
    archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    assert {"photo_id": records["x"].id, "file": None} in data["photos"]
    assert f"photos/{records['x'].id}.jpg" not in archive.namelist()


def test_the_printable_record_shows_every_section_of_that_child_only(world, client_for, records):
    response = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export")
    assert response.status_code == 200
    page = response.text
    for heading in ("Child", "Guardians and pick-up list", "Enrolments", "Attendance", "Daily log", "Health checks",
                    "Illnesses", "Medication", "Incidents", "Growth", "Health exams", "Fee contracts", "Bills",
                    "Payments", "Refunds", "Consent to processing personal information"):
        assert f">{heading}<" in page, heading
    for value in ("王小明", "XX花生", "XX奶奶", "XX叔叔", "XX note", "XX药", "XX滑梯", "XX校服", "XX observed", "36.6", "82.0",
                  "11.25", "¥2,800.00", "Sick"):
        assert value in page, value
    assert "赵小红" not in page and "YY" not in page
    assert f'href="/family/children/{world.child_x.id}/export.zip"' in page


def test_every_table_keyed_by_a_child_is_exported_or_declared(records):
    """A new table with a child_id (or pointing at a child's row) must join CHILD_TABLES or LINKED_TABLES."""
    declared = {model.__tablename__ for model, _c in export.CHILD_TABLES} | {
        model.__tablename__ for model, _c, _s in export.LINKED_TABLES
    }
    child_tables = {model.__tablename__ for model, _c in export.CHILD_TABLES}
    missing = set()
    for name, table in SQLModel.metadata.tables.items():
        if name in declared:
            continue
        targets = {key.column.table.name for column in table.columns for key in column.foreign_keys}
        if "child_id" in table.columns or targets & child_tables:
            missing.add(name)
    assert missing == set(), f"tables holding a child's data but not exported: {sorted(missing)}"


def test_the_export_reads_a_fixed_number_of_statements(world, client_for, session, records, queries):
    client = client_for(world.director)
    url = f"/children/{world.child_x.id}/export.zip"
    client.get(url)
    with queries:
        client.get(url)
    before = queries.count
    fill(session, world, world.child_x, world.guardian_x, world.room_a, world.caregiver_a, "XZ", days_ago=7)
    session.commit()
    with queries:
        client.get(url)
    assert queries.count == before


# ---------------------------------------------------------------- who may export, and the audit


def test_each_export_is_audited_with_who_what_and_which_form(world, client_for, session, records):
    client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export")
    client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip")
    client_for(world.director).get(f"/children/{world.child_y.id}/export.zip")
    fresh(session)
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "child_record_exported").order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.child_id, e.entity, e.entity_id, e.after) for e in entries] == [
        (world.parent_x.id, world.child_x.id, "child", world.child_x.id, {"scope": "family", "format": "html"}),
        (world.parent_x.id, world.child_x.id, "child", world.child_x.id, {"scope": "family", "format": "zip"}),
        (world.director.id, world.child_y.id, "child", world.child_y.id, {"scope": "staff", "format": "zip"}),
    ]


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_another_familys_child_is_not_found_and_nothing_is_audited(world, client_for, session, records, suffix):
    client = client_for(world.parent_y)
    assert client.get(f"/family/children/{world.child_x.id}/export{suffix}").status_code == 404
    assert client.get(f"/family/children/999999/export{suffix}").status_code == 404
    fresh(session)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "child_record_exported")).all() == []


@pytest.mark.parametrize("url", ["/family/children/{id}/export", "/family/children/{id}/export.zip",
                                 "/children/{id}/export", "/children/{id}/export.zip"])
def test_anonymous_people_are_sent_to_sign_in(world, anonymous, url):
    response = anonymous.get(url.format(id=world.child_x.id))
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_only_the_director_exports_from_the_staff_side(world, client_for, who, suffix):
    assert client_for(getattr(world, who)).get(f"/children/{world.child_x.id}/export{suffix}").status_code == 403


def test_staff_without_a_parent_role_cannot_use_the_family_export(world, client_for):
    assert client_for(world.director).get(f"/family/children/{world.child_x.id}/export").status_code == 403


def test_a_parent_who_is_also_staff_exports_only_their_own_children_as_family(world, client_for, session):
    from nursery_ops.auth.models import Role

    carer_parent = f.make_person(session, "carer_parent", Role.caregiver, Role.parent, guardian_id=world.guardian_y.id)
    session.commit()
    client = client_for(carer_parent)
    assert client.get(f"/family/children/{world.child_x.id}/export").status_code == 404
    assert client.get(f"/family/children/{world.child_y.id}/export").status_code == 200


def test_the_export_of_a_child_without_records_works(world, client_for, session):
    lone = f.make_child(session, "孤儿", months=12)
    session.commit()
    page = client_for(world.director).get(f"/children/{lone.id}/export")
    assert page.status_code == 200 and "None recorded" in page.text
    _archive, data = open_zip(client_for(world.director).get(f"/children/{lone.id}/export.zip"))
    assert data["tables"]["incident"] == [] and data["photos"] == []


def test_the_exported_rows_have_every_column_but_the_technical_ones(world, client_for, records):
    _archive, data = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    for model, _column in export.CHILD_TABLES:
        columns = {column.key for column in sa_inspect(model).columns} - export.NEVER_EXPORTED
        for row in data["tables"][model.__tablename__]:
            assert set(row) == columns, model.__tablename__


def test_the_directors_record_of_a_child_who_left_links_to_the_export_and_a_caregivers_does_not(world, client_for, session, records):
    enrolment = child_enrolment(session, world.child_x)
    enrolment.status, enrolment.end_date = EnrolmentStatus.withdrawn, local_today()
    session.add(enrolment)
    session.commit()
    link = f'href="/children/{world.child_x.id}/export"'
    assert link in client_for(world.director).get(f"/children/{world.child_x.id}").text
    assert link not in client_for(world.caregiver_a).get(f"/children/{world.child_x.id}").text
    _archive, data = open_zip(client_for(world.director).get(f"/children/{world.child_x.id}/export.zip"))
    assert data["tables"]["enrolment"][0]["status"] == "withdrawn"
    # The family keeps reading it too: a child who left is still their child.
    _archive, family = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    assert family["tables"]["log_entry"]


def test_the_printable_record_shows_the_nurserys_local_times_and_the_json_keeps_utc(world, client_for, session):
    from tests.family import builders as b

    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, arrived=(7, 45))  # 23:45 UTC the day before
    session.commit()
    page = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export").text
    visits = page[page.index('id="attendance"'):page.index('id="daily-log"')]
    assert "07:45" in visits and "23:45" not in visits
    _archive, data = open_zip(client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/export.zip"))
    assert data["tables"]["attendance"][0]["check_in_at"].endswith("23:45:00+00:00")
