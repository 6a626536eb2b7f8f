"""Retention: nothing of a child goes before `retention_years` after it left; then `purge` removes it all but
the pseudonymised accounting records, with one audit entry (nursery_ops.retention, `python -m nursery_ops purge`).

Runs on the test's SQLite file and, when TEST_POSTGRES_URL is set, on a PostgreSQL schema of its own.
"""

import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, or_, select, update
from sqlmodel import Session, SQLModel

from nursery_ops import audit, cli, demo, retention
from nursery_ops.attendance.models import Attendance
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.invitations import ParentInvitation
from nursery_ops.auth.models import LoginSession, Person, PersonRole, Role
from nursery_ops.auth.service import start_session
from nursery_ops.children.models import Child, ChildGuardian, Guardian, TrustedAdult
from nursery_ops.children.rules import date_at_months
from nursery_ops.clock import local_today, utcnow
from nursery_ops.committee.models import CommitteeMember, CommitteeRole
from nursery_ops.contracts.models import Contract
from nursery_ops.dailylog.models import PhotoTag
from nursery_ops.db import build_engine, open_session
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from nursery_ops.family.service import family_photo
from nursery_ops.photos.models import Photo
from nursery_ops.photos.service import photo_path
from nursery_ops.policy import DEFAULT_POLICY, PolicyOverride
from nursery_ops.settings import get_settings
from tests import factories as f
from tests.family.test_export import child_enrolment, fill, photo_of
from tests.postgres import postgres_schema

W, E, WL = EnrolmentStatus.withdrawn, EnrolmentStatus.enrolled, EnrolmentStatus.waitlisted
# Names and the tag every text of child X's record carries (tests.family.test_export.fill).
X_NAMES = ("王小明", "王妈妈", "王爸爸")
X_TAG = "XX"


BOTH_DATABASES = pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def engine(request, template_db, tmp_path):
    """The test's database (every fixture built on `engine` uses it): a SQLite file, or with BOTH_DATABASES
    also a fresh PostgreSQL schema (a few seconds each: kept to the tests that change the most)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "nursery.db"
        shutil.copy(template_db, path)
        sqlite = build_engine(f"sqlite:///{path}")
        yield sqlite
        sqlite.dispose()
        return
    with postgres_schema("test_retention") as url:
        pg = build_engine(url)
        SQLModel.metadata.create_all(pg)
        try:
            yield pg
        finally:
            pg.dispose()


@pytest.fixture
def cli_db(engine, monkeypatch):
    """`python -m nursery_ops …` in-process against the test's database."""
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))


def years_ago(today: date, years: int, days: int = 0) -> date:
    return date_at_months(today, -12 * years) - timedelta(days=days)


# ---------------------------------------------------------------- the rule, at its edges

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    "enrolments, created_on, today, years, left, due",
    [
        pytest.param([(W, date(2022, 9, 1), date(2023, 6, 15))], date(2022, 8, 1), TODAY, 3, date(2023, 6, 15), False,
                     id="left exactly 3 years ago today: kept one more day"),
        pytest.param([(W, date(2022, 9, 1), date(2023, 6, 14))], date(2022, 8, 1), TODAY, 3, date(2023, 6, 14), True,
                     id="left 3 years and a day ago: due"),
        pytest.param([(W, date(2019, 9, 1), date(2020, 6, 30)), (E, date(2021, 1, 4), None)], date(2019, 8, 1), TODAY,
                     3, None, False, id="a current place: never"),
        pytest.param([(W, date(2019, 9, 1), date(2020, 6, 30)), (E, date(2026, 9, 1), None)], date(2019, 8, 1), TODAY,
                     3, None, False, id="a place from a later start: never"),
        pytest.param([(W, date(2019, 9, 1), date(2020, 6, 30)), (WL, date(2020, 9, 1), None)], date(2019, 8, 1), TODAY,
                     3, None, False, id="back on the waitlist: never"),
        pytest.param([(W, date(2026, 1, 5), date(2026, 7, 31))], date(2025, 12, 1), TODAY, 3, date(2026, 7, 31), False,
                     id="withdrawn with the last day still to come: not yet"),
        pytest.param([(W, date(2019, 9, 1), date(2020, 6, 30)), (W, date(2021, 9, 1), date(2023, 6, 15))],
                     date(2019, 8, 1), TODAY, 3, date(2023, 6, 15), False, id="the last of several enrolments counts"),
        pytest.param([(W, date(2023, 6, 1), date(2023, 6, 14))], date(2023, 5, 20), TODAY, 3, date(2023, 6, 14), True,
                     id="withdrawn from the waitlist: counts from the withdrawal"),
        pytest.param([], date(2023, 6, 14), TODAY, 3, date(2023, 6, 14), True,
                     id="never enrolled: counts from the record's creation"),
        pytest.param([], date(2023, 6, 15), TODAY, 3, date(2023, 6, 15), False,
                     id="never enrolled, created exactly 3 years ago: not yet"),
        pytest.param([(W, date(2023, 9, 1), date(2024, 2, 29))], date(2023, 8, 1), date(2027, 2, 28), 3,
                     date(2024, 2, 29), False, id="left on 29 February: kept to 28 February of a common year"),
        pytest.param([(W, date(2023, 9, 1), date(2024, 2, 29))], date(2023, 8, 1), date(2027, 3, 1), 3,
                     date(2024, 2, 29), True, id="left on 29 February: due on 1 March"),
        pytest.param([(W, date(2019, 9, 1), date(2021, 6, 15))], date(2019, 8, 1), TODAY, 5, date(2021, 6, 15), False,
                     id="a longer local retention_years is obeyed"),
    ],
)
def test_a_child_is_due_only_the_day_after_its_records_were_kept_retention_years(enrolments, created_on, today,
                                                                                 years, left, due):
    standing = retention.standing(7, created_on, enrolments, today, years)
    assert (standing.left_on, standing.due) == (left, due)
    if left is not None:
        assert standing.keep_until == date_at_months(left, 12 * years)


def test_a_purged_child_is_never_due_again():
    assert not retention.standing(7, date(2019, 8, 1), [(W, date(2019, 9, 1), date(2020, 6, 30))], TODAY, 3,
                                  purged=True).due


def test_every_column_of_a_pseudonymised_row_is_either_blanked_or_declared_kept():
    """A new column on a child, guardian or sign-in must be blanked by the purge or declared harmless."""
    for name, kept in retention.KEPT_COLUMNS.items():
        columns = set(SQLModel.metadata.tables[name].columns.keys())
        blanked = set(retention.blanked(name, 1, utcnow()))
        assert kept.isdisjoint(blanked), name
        assert columns == kept | blanked, f"{name}: decide for {sorted(columns - kept - blanked)}"


# ---------------------------------------------------------------- a whole child, purged


def add(session, *rows):
    session.add_all(rows)
    session.flush()
    return rows[0]


@pytest.fixture
def nursery(session, world):
    """Child X (left 4 years ago) and child Y (in room B) with a full record each, and everyone around X.

    X's mother signed X's contract, is on the parent committee and has a sign-in that is an audit actor; X's
    father has a sign-in nobody refers to, an invitation and a session; X's aunt is a caregiver here. Photos:
    one of X alone, one X's entry tags with Y, one Y's entry tags with X, and the pick-up adult's.
    """
    today = local_today()
    left = years_ago(today, 4)
    x, y = world.child_x, world.child_y
    enrolment = child_enrolment(session, x)
    enrolment.applied_on, enrolment.start_date = left - timedelta(days=420), left - timedelta(days=400)
    enrolment.status, enrolment.end_date, enrolment.withdrawal_reason = W, left, f"{X_TAG} 搬家"
    add(session, enrolment)
    fill(session, world, x, world.guardian_x, world.room_a, world.caregiver_a, X_TAG, days_ago=(today - left).days + 30)
    fill(session, world, y, world.guardian_y, world.room_b, world.caregiver_b, "YY")
    contract = session.exec(select(Contract).where(Contract.child_id == x.id)).scalars().one()
    contract.guardian_id, contract.guardian_signed_on = world.guardian_x.id, contract.start_date
    add(session, contract)

    father = f.make_guardian(session, x, "王爸爸", relation="父亲", phone="13600136000")
    father_sign_in = f.make_person(session, "parent_x_father", Role.parent, full_name="王爸爸", guardian_id=father.id,
                                   phone="13600136000")
    start_session(session, father_sign_in, f"{X_TAG} phone", "10.0.0.8")
    add(session, ParentInvitation(guardian_id=father.id, code_hash="f" * 64, created_by_id=world.director.id,
                                  expires_at=utcnow() + timedelta(hours=72)))
    aunt = f.make_guardian(session, x, "钱老师", relation="姑姑", phone="13500135000")
    aunt_staff = f.make_person(session, "carer_aunt", Role.caregiver, Role.parent, full_name="钱老师", guardian_id=aunt.id)
    start_session(session, world.parent_x, "pytest", "10.0.0.9")
    add(session, CommitteeMember(guardian_id=world.guardian_x.id, role=CommitteeRole.member, from_date=left - timedelta(days=200),
                                 created_by_id=world.director.id))
    audit.record(session, world.parent_x.id, "child_record_exported", x, child_id=x.id, after={"child": "王小明"})
    audit.record(session, world.director.id, "child_updated", x, before=audit.snapshot(x), after=audit.snapshot(x),
                 child_id=x.id, reason=f"{X_TAG} allergy corrected")
    audit.record(session, world.director.id, "guardian_created", father, after=audit.snapshot(father))

    photos = {
        "x_alone": photo_of(session, "x-alone", [x.id], x, world.room_a, world.caregiver_a),
        "x_group": photo_of(session, "x-group", [x.id, y.id], x, world.room_a, world.caregiver_a),
        "y_group": photo_of(session, "y-group", [x.id, y.id], y, world.room_b, world.caregiver_b),
        "x_portrait": session.get(Photo, x.photo_id),
    }
    adult = session.exec(select(TrustedAdult).where(TrustedAdult.child_id == x.id)).scalars().first()
    photos["x_adult"] = add(session, Photo(storage_name="x-adult.jpg", content_type="image/jpeg", width=1, height=1,
                                           byte_size=4))
    photo_path(photos["x_adult"]).write_bytes(b"JPEGadult")
    adult.photo_id = photos["x_adult"].id
    add(session, adult)
    session.commit()
    # Ids and paths, not rows: a purged row cannot be refreshed.
    return {"left": left, "father": father.id, "father_sign_in": father_sign_in.id, "aunt": aunt.id,
            "aunt_staff": aunt_staff.id, "contract": contract.id,
            "photos": {name: (photo.id, photo_path(photo)) for name, photo in photos.items()}}


def fresh(session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def every_row(session) -> dict[str, list[str]]:
    """Every row of every table, as text (JSON included): the whole database, comparable and searchable."""
    return {table.name: sorted(repr(tuple(row)) for row in session.exec(select(table)).all())
            for table in SQLModel.metadata.sorted_tables}


def rows_of_child(session, child_id: int) -> dict[str, list[str]]:
    """The rows that name a child through a foreign key (and the child's own row), by table."""
    found = {"child": [repr(tuple(session.exec(select(Child.__table__).where(Child.id == child_id)).one()))]}
    for table in SQLModel.metadata.sorted_tables:
        columns = [key.parent for key in table.foreign_keys if key.column.table.name == "child"]
        if columns:
            found[table.name] = sorted(repr(tuple(row)) for row in session.exec(
                select(table).where(or_(*(column == child_id for column in columns)))).all())
    return found


def purge(*argv: str) -> int:
    return cli.main(["purge", *argv])


@BOTH_DATABASES
def test_a_purged_child_leaves_only_its_pseudonymised_accounting_records(world, session, nursery, cli_db, capsys):
    x = world.child_x
    assert purge("--child", str(x.id), "--yes") == 0
    assert f"Child {x.id}: left on {nursery['left']}" in capsys.readouterr().out
    session = fresh(session)

    contract_enrolments = set(session.exec(select(Contract.enrolment_id).where(Contract.child_id == x.id)).scalars())
    assert {row.id for row in session.exec(select(Enrolment).where(Enrolment.child_id == x.id)).scalars()} == (
        contract_enrolments)
    for table in SQLModel.metadata.sorted_tables:
        if table.name in retention.ACCOUNTING_TABLES | {"enrolment"}:
            continue
        for key in table.foreign_keys:
            ids = {"child": {x.id}, "enrolment": contract_enrolments}.get(key.column.table.name)
            if ids:
                assert session.exec(select(key.parent).where(key.parent.in_(ids))).all() == [], (
                    f"{table.name}.{key.parent.name} still names child {x.id}'s records")

    child = session.get(Child, x.id)
    assert (child.full_name, child.birth_date, child.allergies, child.photo_id, child.consent_guardian_id) == (
        f"已清除 #{x.id}", retention.PURGED_BIRTH_DATE, "", None, None)
    kept_enrolment = session.get(Enrolment, contract_enrolments.pop())
    assert (kept_enrolment.withdrawal_reason, kept_enrolment.end_date) == (None, nursery["left"])
    contract = session.get(Contract, nursery["contract"])
    assert contract.guardian_id == world.guardian_x.id and contract.other_terms == f"{X_TAG} terms"

    # Nothing personal of X's is left anywhere; the accounting records keep their own wording.
    for name, rows in every_row(session).items():
        text_of_table = "\n".join(rows)
        for personal in X_NAMES:
            assert personal not in text_of_table, f"{personal} in {name}"
        if name not in retention.ACCOUNTING_TABLES:
            assert X_TAG not in text_of_table, f"{X_TAG} in {name}"


def test_a_purged_child_is_gone_from_the_children_list_and_its_record_is_404(world, session, nursery, cli_db, client_for):
    x = world.child_x
    assert purge("--child", str(x.id), "--yes") == 0
    director = client_for(world.director)
    listing = director.get("/children")
    assert listing.status_code == 200 and f"/children/{x.id}\"" not in listing.text and "已清除" not in listing.text
    assert director.get(f"/children/{x.id}").status_code == 404
    assert fresh(session).get(Child, x.id).purged_at is not None


def test_guardians_and_sign_ins_go_when_no_child_is_left_and_stay_blank_when_referenced(world, session, nursery, cli_db):
    assert purge("--child", str(world.child_x.id), "--yes") == 0
    session = fresh(session)
    mother = session.get(Guardian, world.guardian_x.id)  # signed the kept contract, sits on the committee
    assert (mother.full_name, mother.phone) == (f"已清除 #{mother.id}", "")
    assert session.get(Guardian, nursery["father"]) is None
    assert session.get(Guardian, nursery["aunt"]) is None
    assert session.exec(select(ParentInvitation)).all() == []
    assert session.exec(select(CommitteeMember.guardian_id)).scalars().all() == [mother.id]

    sign_in = session.get(Person, world.parent_x.id)  # an audit actor: stays, blank and switched off
    assert (sign_in.full_name, sign_in.username, sign_in.password_hash, sign_in.phone, sign_in.guardian_id,
            sign_in.active) == (f"已清除 #{sign_in.id}", None, "", None, None, False)
    assert sign_in.deactivated_at is not None
    assert session.get(Person, nursery["father_sign_in"]) is None
    for person_id in (world.parent_x.id, nursery["father_sign_in"]):
        assert session.exec(select(PersonRole).where(PersonRole.person_id == person_id)).all() == []
        assert session.exec(select(LoginSession).where(LoginSession.person_id == person_id)).all() == []
    aunt = session.get(Person, nursery["aunt_staff"])  # staff keep their account, without the parent link
    assert (aunt.full_name, aunt.active, aunt.guardian_id) == ("钱老师", True, None)
    assert set(session.exec(select(PersonRole.role).where(PersonRole.person_id == aunt.id)).scalars()) == {Role.caregiver}


def test_the_other_child_keeps_every_row_and_a_group_photo_stays_for_it(world, session, nursery, cli_db):
    y = world.child_y
    before = rows_of_child(session, y.id)
    y_people = [session.get(Guardian, world.guardian_y.id).model_dump(), session.get(Person, world.parent_y.id).model_dump()]
    assert purge("--child", str(world.child_x.id), "--yes") == 0
    session = fresh(session)
    after = rows_of_child(session, y.id)
    entries_before, entries_after = set(before.pop("log_entry")), set(after.pop("log_entry"))
    assert entries_before < entries_after and len(entries_after - entries_before) == 1  # X's entry of the group photo
    assert after == before
    assert [session.get(Guardian, world.guardian_y.id).model_dump(), session.get(Person, world.parent_y.id).model_dump()] == y_people

    photos = nursery["photos"]
    for gone in ("x_alone", "x_portrait", "x_adult"):
        photo_id, path = photos[gone]
        assert session.get(Photo, photo_id) is None and not path.exists()
    for group in ("x_group", "y_group"):  # only X's tag goes; Y's family still sees the photo
        photo_id, path = photos[group]
        assert path.exists()
        assert session.exec(select(PhotoTag.child_id).where(PhotoTag.photo_id == photo_id)).scalars().all() == [y.id]
        assert family_photo(session, y.id, photo_id).child_id == y.id


@BOTH_DATABASES
def test_the_purge_writes_one_audit_entry_with_counts_and_clears_the_childs_snapshots(world, session, nursery, cli_db):
    x = world.child_x
    assert session.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.child_id == x.id, AuditEntry.before.is_not(None))).scalars().one() > 0
    assert purge("--child", str(x.id), "--yes") == 0
    session = fresh(session)
    (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "retention_purge")).scalars().all()
    assert (entry.actor_id, entry.entity, entry.entity_id, entry.child_id, entry.before) == (None, "child", x.id, x.id, None)
    counts = entry.after
    assert counts["deleted"]["attendance"] == 1 and counts["deleted"]["photo"] == 3
    assert counts["pseudonymised"] == {"child": 1, "enrolment": 1, "guardian": 1, "person": 1}
    assert counts["kept"]["contract"] == 1 and counts["photo_files"] == 3
    assert all(isinstance(value, int) for group in counts.values() if isinstance(group, dict) for value in group.values())
    assert not any(personal in repr(counts) for personal in (X_TAG, *X_NAMES))

    others = session.exec(select(AuditEntry).where(AuditEntry.id != entry.id)).scalars().all()
    about_x = [other for other in others if other.child_id == x.id or (other.entity, other.entity_id) == (
        "guardian", nursery["father"])]
    assert {other.action for other in about_x} >= {"child_record_exported", "child_updated", "guardian_created"}
    for other in about_x:  # who, when and what stay; the personal snapshots go
        assert (other.before, other.after, other.reason) == (None, None, None)
        assert other.at is not None and other.action
    exported = next(other for other in about_x if other.action == "child_record_exported")
    assert exported.actor_id == world.parent_x.id


@BOTH_DATABASES
def test_the_purge_and_its_audit_entry_commit_together_or_not_at_all(world, engine, session, nursery, monkeypatch):
    before = every_row(session)
    session.commit()

    def refuse(*_args, **_kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(retention.audit, "record", refuse)
    with open_session(engine, write=True) as writer, pytest.raises(RuntimeError):
        retention.purge_child(writer, world.child_x.id, local_today(), DEFAULT_POLICY)
    assert every_row(fresh(session)) == before
    assert all(path.exists() for _photo_id, path in nursery["photos"].values())


def test_the_dry_run_lists_what_is_due_and_changes_nothing(world, session, nursery, cli_db, capsys):
    before = every_row(session)
    session.commit()
    assert purge() == 0
    out = capsys.readouterr().out
    assert f"Child {world.child_x.id}: left on {nursery['left']}" in out
    assert "attendance 1" in out and "log_entry" in out and "photo files: 3" in out and "contract 1" in out
    assert f"Child {world.child_y.id}" not in out
    assert "Dry run: nothing changed" in out
    assert every_row(fresh(session)) == before
    assert all(path.exists() for _photo_id, path in nursery["photos"].values())


# ---------------------------------------------------------------- refusals and exit codes


def test_a_child_who_left_exactly_retention_years_ago_is_refused_with_exit_code_2(world, session, cli_db, capsys):
    today = local_today()
    enrolment = child_enrolment(session, world.child_x)
    enrolment.start_date, enrolment.status, enrolment.end_date = years_ago(today, 4), W, years_ago(today, 3)
    session.add(enrolment)
    session.commit()
    before = every_row(session)
    session.commit()
    assert purge("--child", str(world.child_x.id), "--yes") == 2
    error = capsys.readouterr().err
    assert f"child {world.child_x.id} is not past retention" in error
    assert f"kept until {today}" in error
    assert every_row(fresh(session)) == before
    with open_session(session.get_bind(), write=True) as writer, pytest.raises(retention.NotDue):
        retention.purge_child(writer, world.child_x.id, today, DEFAULT_POLICY)


def test_a_child_with_a_place_is_refused_because_it_has_not_left(world, cli_db, capsys):
    assert purge("--child", str(world.child_y.id), "--yes") == 2
    assert "has a current or future place or is on the waitlist" in capsys.readouterr().err


def test_an_unknown_child_is_refused_with_exit_code_2(world, cli_db, capsys):
    assert purge("--child", "99999") == 2
    assert "there is no child with id 99999" in capsys.readouterr().err


def test_a_longer_retention_set_by_the_director_holds_the_purge_back(world, session, nursery, cli_db, capsys):
    session.add(PolicyOverride(key="retention_years", value="5", reason="市卫健委要求保存5年"))
    session.commit()
    assert purge("--child", str(world.child_x.id), "--yes") == 2
    assert "(5 years)" in capsys.readouterr().err
    assert purge() == 0
    assert "Nothing is past retention (5 years" in capsys.readouterr().out


def test_purge_yes_removes_what_is_due_and_a_second_run_finds_nothing(world, session, nursery, cli_db, capsys):
    assert purge("--yes") == 0
    out = capsys.readouterr().out
    assert f"Child {world.child_x.id}: left on" in out and "Purged 1 child(ren)" in out
    assert purge("--yes") == 0
    assert "Nothing is past retention" in capsys.readouterr().out
    assert purge("--child", str(world.child_x.id), "--yes") == 0
    assert "already purged" in capsys.readouterr().out
    session = fresh(session)
    assert session.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "retention_purge")).scalars().one() == 1


def test_a_guardian_shared_with_a_child_still_here_is_left_untouched(world, session, cli_db):
    today = local_today()
    sibling = f.make_child(session, "王小红", months=14)
    f.link_guardian(session, sibling, world.guardian_x)
    f.enrol(session, sibling, world.room_a)
    enrolment = child_enrolment(session, world.child_x)
    enrolment.start_date, enrolment.status, enrolment.end_date = years_ago(today, 5), W, years_ago(today, 4)
    session.add(enrolment)
    session.commit()
    mother, sign_in = session.get(Guardian, world.guardian_x.id).model_dump(), session.get(Person, world.parent_x.id).model_dump()
    assert purge("--yes") == 0
    session = fresh(session)
    assert session.get(Guardian, world.guardian_x.id).model_dump() == mother
    assert session.get(Person, world.parent_x.id).model_dump() == sign_in
    assert session.exec(select(ChildGuardian.child_id).where(ChildGuardian.guardian_id == world.guardian_x.id)
                        ).scalars().all() == [sibling.id]


def test_the_purge_refuses_rather_than_cut_into_another_childs_record(world, session, nursery, cli_db, capsys):
    """Y's pick-up names X's pick-up adult (not something the app records): X waits, nothing of either changes."""
    adult_id = session.exec(select(TrustedAdult.id).where(TrustedAdult.child_id == world.child_x.id)).scalars().first()
    session.exec(update(Attendance).where(Attendance.child_id == world.child_y.id).values(picked_up_by_adult_id=adult_id))
    session.commit()
    before = every_row(session)
    session.commit()
    assert purge("--child", str(world.child_x.id), "--yes") == 2
    assert "refers to the trusted_adult row" in capsys.readouterr().err
    assert every_row(fresh(session)) == before


def test_one_child_that_cannot_be_purged_does_not_hold_back_the_others(world, session, nursery, cli_db, capsys,
                                                                      monkeypatch):
    today = local_today()
    other = f.make_child(session, "钱小宝", months=20)
    f.enrol(session, other, world.room_a, status=W, start_date=years_ago(today, 6), end_date=years_ago(today, 5))
    session.commit()
    purge_child = retention.purge_child

    def odd_records_for_x(writer, child_id, *args):
        if child_id == world.child_x.id:
            raise retention.RetentionError("odd records")
        return purge_child(writer, child_id, *args)

    monkeypatch.setattr(retention, "purge_child", odd_records_for_x)
    assert purge("--yes") == 1
    captured = capsys.readouterr()
    assert f"child {world.child_x.id} was not purged (nothing of it changed): odd records" in captured.err
    assert f"Child {other.id}: left on" in captured.out and "Purged 1 child(ren)" in captured.out
    session = fresh(session)
    assert session.get(Child, other.id).full_name == f"已清除 #{other.id}"
    assert session.get(Child, world.child_x.id).full_name == "王小明"


# ---------------------------------------------------------------- the demo nursery, everyone gone


@pytest.fixture
def demo_engine(template_db, tmp_path, monkeypatch):
    """A SQLite file of its own, also the CLI's: the demo nursery loads once, so it runs on SQLite only."""
    path = tmp_path / "demo.db"
    shutil.copy(template_db, path)
    monkeypatch.setattr(get_settings(), "database_url", f"sqlite:///{path}")
    sqlite = build_engine(f"sqlite:///{path}")
    yield sqlite
    sqlite.dispose()


def test_purging_every_child_of_the_demo_nursery_leaves_no_name_or_phone_of_a_family(demo_engine):
    today = local_today()
    with open_session(demo_engine, write=True) as session:
        demo.load_demo(session, today)
        long_ago = years_ago(today, 4)
        session.exec(update(Enrolment).values(status=W, applied_on=long_ago - timedelta(days=500),
                                              start_date=long_ago - timedelta(days=400), end_date=long_ago))
        session.commit()
        family = {value for value in (
            *session.exec(select(Child.full_name)).scalars(), *session.exec(select(Guardian.full_name)).scalars(),
            *session.exec(select(Guardian.phone)).scalars(), *session.exec(select(TrustedAdult.full_name)).scalars(),
            *session.exec(select(TrustedAdult.phone)).scalars(),
        ) if value}
    assert purge("--yes") == 0
    with open_session(demo_engine, write=False) as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.exec(select(table)).all():
                assert family.isdisjoint(value for value in row if isinstance(value, str)), f"{table.name}: {row}"
        assert session.exec(select(func.count()).select_from(Attendance)).scalars().one() == 0
        assert session.exec(select(Person).where(Person.guardian_id.is_not(None))).all() == []
        children = session.exec(select(func.count()).select_from(Child)).scalars().one()
        assert session.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "retention_purge")).scalars().one() == children
