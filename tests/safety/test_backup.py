"""Backup and restore: every record and every stored file comes back, and a bad archive changes nothing.

The source is a migrated file database with the demo nursery, a few factory-made
bills, payments and incidents, and photos stored through the photo service. Each
restore goes into a fresh database and data directory. PostgreSQL runs when
TEST_POSTGRES_URL is set (a scratch database for the source and one for the target).
"""

import io
import json
import os
import shutil
import tarfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from PIL import Image
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from nursery_ops import audit, backup, cli
from nursery_ops import schema  # noqa: F401  (all tables, for SQLModel.metadata)
from nursery_ops.auth.models import Person, Role
from nursery_ops.billing.models import LineKind
from nursery_ops.children.models import Child, Guardian
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import Contract
from nursery_ops.db import build_engine, open_session, write_session
from nursery_ops.demo import load_demo
from nursery_ops.photos.service import prepare, save_photo
from nursery_ops.settings import get_settings
from tests import factories as f

# Whole rows compared between the source and the restored database: children, money, the audit trail, photos.
COMPARED_TABLES = ("child", "guardian", "bill", "bill_line", "payment", "incident", "audit_entry", "photo", "log_entry")
PHOTO_COLOURS = ((200, 80, 40), (20, 160, 90), (40, 60, 220))


# ---------------------------------------------------------------- the nursery to back up


def add_records(url: str, data_dir: Path, *, demo: bool = True) -> None:
    """The demo nursery (or a small factory-made one), plus money, an incident, a medication
    authorisation and photos stored through the photo service (files under data_dir)."""
    engine = build_engine(url)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(get_settings(), "data_dir", data_dir)
            with write_session(engine) as session:
                if demo:
                    load_demo(session, local_today())
                    director = session.exec(select(Person).where(Person.username == "director")).scalars().one()
                    contract = session.exec(select(Contract).order_by(Contract.id)).scalars().first()
                    child = session.get(Child, contract.child_id)
                    guardian = session.exec(select(Guardian).order_by(Guardian.id)).scalars().first()
                else:
                    director = f.make_person(session, "director", Role.director, full_name="李园长")
                    room = f.make_room(session, "A 托小班")
                    child = f.make_child(session, "王小明")
                    guardian = f.make_guardian(session, child, "王妈妈")
                    contract = f.make_contract(session, f.enrol(session, child, room), director)
                start = local_today().replace(day=1)
                f.make_refund_bill(session, contract, director, start, start + timedelta(days=27),
                                   [(LineKind.care_fee, 280000), (LineKind.meal_fee, 44000, 22)])
                f.make_refund_payment(session, contract, director, 324000, start)
                f.make_incident(session, child, director, description="在滑梯上滑倒，膝盖擦伤")
                f.make_authorisation(session, child, guardian, director)
            for colour in PHOTO_COLOURS:
                picture = BytesIO()
                Image.new("RGB", (64, 48), colour).save(picture, "PNG")
                with open_session(engine, write=True) as session:
                    save_photo(session, director.id, prepare(picture.getvalue()), child.id, lambda photo: None)
    finally:
        engine.dispose()
    (data_dir / "secret_key").write_text("the-installation-key")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """An empty database at the newest revision, migrated once for every test here."""
    path = tmp_path_factory.mktemp("backup-migrated") / "nursery.db"
    cli.migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def nursery_template(migrated_template, tmp_path_factory) -> Path:
    """Built once (the demo takes seconds); each test copies it."""
    root = tmp_path_factory.mktemp("backup-source")
    shutil.copy(migrated_template, root / "nursery.db")
    add_records(f"sqlite:///{root / 'nursery.db'}", root / "data")
    return root


@pytest.fixture
def source(nursery_template, tmp_path) -> tuple[str, Path]:
    """(DATABASE_URL, DATA_DIR) of a nursery with records and photos."""
    root = tmp_path / "source"
    shutil.copytree(nursery_template, root)
    return f"sqlite:///{root / 'nursery.db'}", root / "data"


@pytest.fixture
def migrated(migrated_template, tmp_path) -> str:
    """The URL of an empty, migrated database."""
    path = tmp_path / "migrated" / "nursery.db"
    path.parent.mkdir()
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh(tmp_path) -> tuple[str, Path]:
    """(DATABASE_URL, DATA_DIR) of a new machine: nothing there yet."""
    root = tmp_path / "fresh"
    return f"sqlite:///{root / 'var' / 'nursery.db'}", root / "var"


def snapshot(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: [tuple(row) for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                )]
                for name, table in SQLModel.metadata.tables.items()
                if name in COMPARED_TABLES
            }
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    return backup.database_facts(url)[1]


def stored_bytes(data_dir: Path) -> dict[str, bytes]:
    """Every file under the data directory but the backups and a SQLite database kept there (`fresh`)."""
    return {
        path.relative_to(data_dir).as_posix(): path.read_bytes()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and path.parts[-2:-1] != ("backups",) and not path.name.startswith("nursery.db")
    }


def assert_same_nursery(source_url: str, source_data: Path, target_url: str, target_data: Path,
                        filled_tables: int = 35) -> None:
    source_counts = counts(source_url)
    assert sum(1 for count in source_counts.values() if count) >= filled_tables, "the source should fill many tables"
    assert counts(target_url) == source_counts
    assert snapshot(target_url) == snapshot(source_url)
    files = stored_bytes(source_data)
    assert len([name for name in files if name.startswith("photos/")]) == source_counts["photo"] >= len(PHOTO_COLOURS)
    assert stored_bytes(target_data) == files


def rewrite_archive(archive: Path, out: Path, change) -> Path:
    """A copy of the archive with `change(name, data) -> data | None` applied to each member (None drops it)."""
    with tarfile.open(archive, "r:gz") as original, tarfile.open(out, "w:gz") as copy:
        for member in original:
            data = change(member.name, original.extractfile(member).read())
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size, info.mode = len(data), member.mode
                copy.addfile(info, io.BytesIO(data))
    return out


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile(backup.MANIFEST))


# ---------------------------------------------------------------- round trip


def test_a_backup_restored_on_a_fresh_machine_has_every_record_and_every_photo(source, fresh, tmp_path):
    source_url, source_data = source
    target_url, target_data = fresh

    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
    report = backup.restore_backup(archive, target_url, target_data)

    assert_same_nursery(source_url, source_data, target_url, target_data)
    assert report.mismatches == [] and report.migrated_to is None
    assert report.files == len(PHOTO_COLOURS) + 2  # ours, the demo's photo and the secret key
    assert (target_data / "secret_key").read_text() == "the-installation-key"
    assert not [path for path in target_data.iterdir() if path.name.startswith(".nursery-restore-")]
    assert not cli.pending_migrations(target_url)


def test_the_manifest_lists_revision_kind_row_counts_and_a_checksum_for_every_file(source, tmp_path):
    source_url, source_data = source
    archive = backup.create_backup(source_url, source_data, tmp_path, now=datetime(2026, 12, 1, 21, 30, 5, tzinfo=UTC))

    assert archive.name == "nursery-backup-20261201T213005Z.tar.gz"
    assert archive.stat().st_mode & 0o777 == 0o600  # children's records: readable by the owner only
    manifest = manifest_of(archive)
    head = ScriptDirectory.from_config(cli.alembic_config()).get_current_head()
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["created_at"] == "2026-12-01T21:30:05Z"
    assert manifest["alembic_revision"] == head
    assert manifest["database"] == {"kind": "sqlite", "path": "database/nursery.sqlite3"}
    assert manifest["row_counts"] == counts(source_url)
    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames()) - {backup.MANIFEST}
    assert set(manifest["files"]) == names
    assert {f"files/{name}" for name in stored_bytes(source_data)} <= names
    for name, data in stored_bytes(source_data).items():
        assert manifest["files"][f"files/{name}"]["bytes"] == len(data)


def test_a_backup_taken_while_another_thread_writes_is_one_consistent_moment(source, fresh, tmp_path):
    source_url, source_data = source
    target_url, target_data = fresh
    engine = build_engine(source_url)
    written, stop = [], threading.Event()

    def keep_writing():
        # Each transaction adds a guardian and its audit entry: a torn copy would hold one without the other.
        while not stop.is_set():
            with write_session(engine) as session:
                guardian = Guardian(full_name=f"写入测试{len(written)}", phone="13800000000")
                session.add(guardian)
                session.flush()
                audit.record(session, None, "backup_test_write", guardian, after=audit.snapshot(guardian))
            written.append(guardian.id)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + 5
        while len(written) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = len(written)
        archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
        during = len(written) - before
    finally:
        stop.set()
        writer.join(timeout=10)
        engine.dispose()

    assert before >= 5 and during > 0, "the writer must have been writing while the backup ran"
    report = backup.restore_backup(archive, target_url, target_data)
    assert report.mismatches == []
    restored = create_engine(target_url)
    try:
        with restored.connect() as connection:
            guardians = set(connection.execute(
                text("SELECT id FROM guardian WHERE full_name LIKE '写入测试%'")).scalars())
            audited = set(connection.execute(
                text("SELECT entity_id FROM audit_entry WHERE action = 'backup_test_write'")).scalars())
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    finally:
        restored.dispose()
    assert guardians == audited
    assert before <= len(guardians) <= len(written)


# ---------------------------------------------------------------- refusals


def change_one_photo_byte(name, data):
    if name.startswith("files/photos/") and not getattr(change_one_photo_byte, "done", False):
        change_one_photo_byte.done = True
        return data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    return data


def change_the_database(name, data):
    if name.startswith("database/"):
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
    return data


def drop_a_photo(name, data):
    return None if name.startswith("files/photos/") else data


@pytest.mark.parametrize(
    "tamper, message",
    [
        (change_one_photo_byte, "checksum differs: files/photos/"),
        (change_the_database, "checksum differs: database/nursery.sqlite3"),
        (drop_a_photo, "missing: files/photos/"),
        ("cut short", "is damaged or not a backup archive"),
        ("path outside", "unexpected entry '../../evil.sh'"),
        ("no manifest", "has no manifest.json"),
    ],
    ids=["one photo byte changed", "database changed", "a photo missing", "cut short", "a path outside", "no manifest"],
)
def test_a_damaged_archive_is_refused_and_nothing_changes(source, fresh, tmp_path, tamper, message):
    source_url, source_data = source
    target_url, target_data = fresh
    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
    damaged = tmp_path / "damaged.tar.gz"
    if tamper == "cut short":
        damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif tamper == "path outside":
        rewrite_archive(archive, damaged, lambda name, data: data)
        with tarfile.open(damaged, "r:gz") as tar:
            members = [(member, tar.extractfile(member).read()) for member in tar]
        with tarfile.open(damaged, "w:gz") as tar:
            evil = tarfile.TarInfo("../../evil.sh")
            evil.size = 2
            tar.addfile(evil, io.BytesIO(b"hi"))
            for member, data in members:
                tar.addfile(member, io.BytesIO(data))
    elif tamper == "no manifest":
        rewrite_archive(archive, damaged, lambda name, data: None if name == backup.MANIFEST else data)
    else:
        change_one_photo_byte.done = False
        rewrite_archive(archive, damaged, tamper)

    with pytest.raises(backup.BackupError, match=message.replace("(", r"\(")) as refused:
        backup.restore_backup(damaged, target_url, target_data)

    assert "nothing was changed" in str(refused.value)
    assert not (tmp_path / "fresh").exists()
    assert not (tmp_path.parent / "evil.sh").exists()


def test_a_backup_from_a_newer_nursery_ops_is_refused(source, fresh, tmp_path):
    source_url, source_data = source
    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
    newer = rewrite_archive(archive, tmp_path / "newer.tar.gz", lambda name, data: data if name != backup.MANIFEST
                            else json.dumps(json.loads(data) | {"alembic_revision": "9999"}).encode())

    with pytest.raises(backup.BackupError, match="made by a newer nursery_ops"):
        backup.restore_backup(newer, *fresh)
    assert not (tmp_path / "fresh").exists()


def test_a_sqlite_backup_is_not_restored_into_postgres(source, tmp_path):
    archive = backup.create_backup(*source, tmp_path / "backups")

    # Refused from the manifest alone: the server named here does not even exist.
    with pytest.raises(backup.BackupError, match="holds a sqlite database but DATABASE_URL is postgresql"):
        backup.restore_backup(archive, "postgresql+psycopg://nursery@/nowhere?host=/nonexistent", tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_restoring_over_a_database_with_data_is_refused_without_force(source, migrated, tmp_path):
    source_url, source_data = source
    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
    target_url, target_data = migrated, tmp_path / "busy-data"
    engine = build_engine(target_url)
    with write_session(engine) as session:
        f.make_person(session, "someone", Role.director)
    engine.dispose()

    with pytest.raises(backup.BackupError, match="already has data.*--force"):
        backup.restore_backup(archive, target_url, target_data)
    assert counts(target_url)["person"] == 1
    assert not target_data.exists()

    report = backup.restore_backup(archive, target_url, target_data, force=True)
    assert report.mismatches == []
    assert_same_nursery(source_url, source_data, target_url, target_data)


def test_restoring_into_a_migrated_but_empty_database_needs_no_force(source, migrated, tmp_path):
    source_url, source_data = source
    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")

    backup.restore_backup(archive, migrated, tmp_path / "migrated-data")
    assert counts(migrated) == counts(source_url)


# ---------------------------------------------------------------- revisions, crashes, --keep


def test_a_backup_from_an_older_revision_is_migrated_after_the_restore(migrated, fresh, tmp_path):
    scripts = ScriptDirectory.from_config(cli.alembic_config())
    head = scripts.get_current_head()
    older = scripts.get_revision(head).down_revision
    command.downgrade(cli.alembic_config(migrated), older)
    archive = backup.create_backup(migrated, tmp_path / "old-data", tmp_path / "backups")
    assert manifest_of(archive)["alembic_revision"] == older

    report = backup.restore_backup(archive, *fresh)
    assert report.backup_revision == older and report.migrated_to == head
    assert not cli.pending_migrations(fresh[0])


def test_a_backup_that_fails_half_way_leaves_nothing_that_looks_like_a_backup(source, tmp_path, monkeypatch):
    source_url, source_data = source
    directory = tmp_path / "backups"
    real_addfile, added = tarfile.TarFile.addfile, []

    def disk_full_on_the_third_file(self, info, fileobj=None):
        added.append(info.name)
        if len(added) == 3:
            raise OSError(28, "No space left on device")
        return real_addfile(self, info, fileobj)

    monkeypatch.setattr(tarfile.TarFile, "addfile", disk_full_on_the_third_file)
    with pytest.raises(backup.BackupError, match="cannot write the backup.*No space left"):
        backup.create_backup(source_url, source_data, directory)
    assert list(directory.iterdir()) == []


def test_keep_deletes_the_oldest_backups_beyond_n(source, tmp_path, monkeypatch, capsys):
    source_url, source_data = source
    directory = tmp_path / "backups"
    first = utcnow() - timedelta(days=10)  # before the backup the command makes now
    made = [backup.create_backup(source_url, source_data, directory, now=first + timedelta(days=day))
            for day in range(3)]
    (directory / "notes.txt").write_text("not a backup")
    (directory / ".nursery-backup-20261101T000000Z.tar.gz.partial").write_text("a crashed run")

    monkeypatch.setattr(get_settings(), "database_url", source_url)
    monkeypatch.setattr(get_settings(), "data_dir", source_data)
    assert cli.main(["backup", "--to", str(directory), "--keep", "2"]) == 0

    out = capsys.readouterr().out.splitlines()
    newest = Path(out[0])
    assert newest.parent == directory and newest.name.startswith("nursery-backup-")
    assert sorted(directory.glob("nursery-backup-*.tar.gz")) == [made[2], newest]
    assert out[1:] == [f"Removed the older backup {made[0]}", f"Removed the older backup {made[1]}"]
    assert (directory / "notes.txt").exists()
    assert (directory / ".nursery-backup-20261101T000000Z.tar.gz.partial").exists()


@pytest.mark.parametrize("keep", ["0", "-1", "two"])
def test_keep_must_be_at_least_one(keep, capsys):
    with pytest.raises(SystemExit):
        cli.main(["backup", "--keep", keep])
    assert "at least 1" in capsys.readouterr().err


# ---------------------------------------------------------------- the command line


def test_the_commands_back_up_into_the_data_directory_and_restore_from_there(source, fresh, monkeypatch, capsys):
    source_url, source_data = source
    monkeypatch.setattr(get_settings(), "database_url", source_url)
    monkeypatch.setattr(get_settings(), "data_dir", source_data)
    assert cli.main(["backup"]) == 0
    archive = Path(capsys.readouterr().out.strip())
    assert archive.parent == source_data / "backups"

    target_url, target_data = fresh
    monkeypatch.setattr(get_settings(), "database_url", target_url)
    monkeypatch.setattr(get_settings(), "data_dir", target_data)
    assert cli.main(["restore", str(archive)]) == 0
    out = capsys.readouterr().out
    assert f"into {target_url}, and {len(PHOTO_COLOURS) + 2} stored files" in out
    assert f"Row counts match the backup in all {len(counts(source_url))} tables" in out
    assert_same_nursery(source_url, source_data, target_url, target_data)

    assert cli.main(["restore", str(archive)]) == 2
    assert "already has data" in capsys.readouterr().err


def test_restoring_a_file_that_is_not_there_says_so(fresh, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(get_settings(), "database_url", fresh[0])
    monkeypatch.setattr(get_settings(), "data_dir", fresh[1])
    assert cli.main(["restore", str(tmp_path / "nope.tar.gz")]) == 2
    assert "there is no backup at" in capsys.readouterr().err


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize(
    "url, uri, password",
    [
        ("postgresql+psycopg://nursery:s3cr%40t@db.example:5433/nursery",
         "postgresql://nursery@db.example:5433/nursery", "s3cr@t"),
        ("postgresql+psycopg://postgres@/nursery_test?host=/var/run/postgresql",
         "postgresql://postgres@/nursery_test?host=%2Fvar%2Frun%2Fpostgresql", None),
        ("postgresql+psycopg://app@[::1]/db?sslmode=require&options=-csearch_path%3Dnursery",
         "postgresql://app@[::1]/db?sslmode=require&options=-csearch_path%3Dnursery", None),
    ],
    ids=["password in the url", "unix socket", "ipv6 and options"],
)
def test_the_postgres_url_becomes_a_libpq_uri_with_the_password_only_in_the_environment(url, uri, password,
                                                                                        monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    converted, env = backup.libpq_connection(url)
    assert converted == uri
    assert env.get("PGPASSWORD") == password


@pytest.fixture
def postgres_databases():
    """Two scratch databases (source, target) on TEST_POSTGRES_URL's server, dropped afterwards."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL not available: set TEST_POSTGRES_URL")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore not installed (Debian: postgresql-client)")
    names = [f"test_backup_{uuid.uuid4().hex[:12]}_{role}" for role in ("source", "target")]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [make_url(base).set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_a_postgres_backup_restored_into_another_database_has_every_record_and_photo(postgres_databases, tmp_path):
    source_url, target_url = postgres_databases
    source_data, target_data = tmp_path / "source-data", tmp_path / "target-data"
    # The models' tables, stamped at the newest revision: migrating PostgreSQL takes seconds (test_migrations does it).
    engine = create_engine(source_url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    command.stamp(cli.alembic_config(source_url), "head")
    add_records(source_url, source_data, demo=False)

    archive = backup.create_backup(source_url, source_data, tmp_path / "backups")
    assert manifest_of(archive)["database"] == {"kind": "postgresql", "path": "database/nursery.pgdump"}
    report = backup.restore_backup(archive, target_url, target_data)

    assert report.mismatches == []
    assert_same_nursery(source_url, source_data, target_url, target_data, filled_tables=15)
    # The sequences came back too: the next row gets a new id, not one the backup already holds.
    engine = build_engine(target_url)
    try:
        with write_session(engine) as session:
            guardian = Guardian(full_name="恢复后新增", phone="13900000000")
            session.add(guardian)
            session.flush()
            assert guardian.id > max(row[0] for row in snapshot(source_url)["guardian"])
    finally:
        engine.dispose()

    with pytest.raises(backup.BackupError, match="already has data"):
        backup.restore_backup(archive, target_url, target_data)
    backup.restore_backup(archive, target_url, target_data, force=True)
    assert counts(target_url) == counts(source_url)
