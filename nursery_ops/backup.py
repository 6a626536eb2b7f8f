"""Backup and restore: one archive holding the database, the stored files and a manifest.

An archive (`nursery-backup-20261201T213005Z.tar.gz`) contains

    database/nursery.sqlite3   an online copy made with SQLite's backup API, or
    database/nursery.pgdump    `pg_dump --format=custom` of the PostgreSQL database
    files/...                  what the app keeps under DATA_DIR: photos, the secret key
    manifest.json              format version, created_at (UTC), alembic revision,
                               database kind, row counts per table, sha256 of every file

The database is copied first and the files after. Photos are only ever added (a
retention purge aside), so every photo row in the copy has its file in the
archive; a photo uploaded during the backup is at worst an extra file. The archive is written under a hidden
temporary name and renamed when complete, so a crash never leaves a half backup
that looks whole. A restore reads the whole archive and checks every checksum
before it changes anything.
"""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlencode

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from nursery_ops.cli import alembic_config, migrate
from nursery_ops.clock import utcnow
from nursery_ops.db import is_sqlite

FORMAT = "nursery_ops backup"
FORMAT_VERSION = 1
ARCHIVE_PREFIX = "nursery-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/nursery.sqlite3", "postgresql": "database/nursery.pgdump"}
FILES_PREFIX = "files/"
# Everything nursery_ops writes under DATA_DIR; a new kind of upload adds its folder here.
# The secret key comes along because pending parent invitation codes are stored as HMACs under it.
STORED_UNDER_DATA_DIR = ("photos", "secret_key")
CHUNK_BYTES = 1024 * 1024
# A nursery's database dumps and restores in seconds; an hour means the tool is stuck.
PG_TOOL_TIMEOUT_SECONDS = 3600
NOTHING_CHANGED = "nothing was changed"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why in one line, for the command line."""


@dataclass(frozen=True)
class RestoreReport:
    database: str  # where the database went, without its password
    files: int
    row_counts: dict[str, int]
    mismatches: list[str] = field(default_factory=list)
    backup_revision: str | None = None
    migrated_to: str | None = None  # set when the backup was older than the code and has been migrated


# ---------------------------------------------------------------- backup


def default_backup_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def archive_name(moment: datetime) -> str:
    return f"{ARCHIVE_PREFIX}{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}{ARCHIVE_SUFFIX}"


def create_backup(url: str, data_dir: Path, to_dir: Path, *, now: datetime | None = None) -> Path:
    """Write one complete archive of the database and the stored files into `to_dir`; its path."""
    now = now or utcnow()
    kind = "sqlite" if is_sqlite(url) else "postgresql"
    to_dir.mkdir(parents=True, exist_ok=True)
    final = to_dir / archive_name(now)
    if final.exists():
        raise BackupError(f"{final} already exists: wait a second and run the backup again")
    partial = to_dir / f".{final.name}.partial"
    with tempfile.TemporaryDirectory(prefix=".nursery-backup-", dir=to_dir) as staging:
        copy = Path(staging) / PurePosixPath(DATABASE_MEMBERS[kind]).name
        if kind == "sqlite":
            revision, counts = copy_sqlite(sqlite_path(url), copy)
        else:
            revision, counts = dump_postgres(url, copy)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "alembic_revision": revision,
            "database": {"kind": kind, "path": DATABASE_MEMBERS[kind]},
            "row_counts": counts,
        }
        try:
            write_archive(partial, [(DATABASE_MEMBERS[kind], copy, 0o600), *stored_files(data_dir)], manifest)
            os.replace(partial, final)
            _fsync(to_dir)
        except OSError as error:
            raise BackupError(f"cannot write the backup in {to_dir}: {error}") from error
        finally:
            partial.unlink(missing_ok=True)
    return final


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory SQLite database: there is nothing to back up or restore")
    return Path(database)


def copy_sqlite(database: Path, copy: Path) -> tuple[str | None, dict[str, int]]:
    """A checked copy of a live database (the app may be writing); its revision and row counts.

    The backup API copies every page in one step, inside one read transaction: in
    WAL mode the app's writers carry on, and the copy is one moment of the database.
    """
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    source = sqlite3.connect(database, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        # One self-contained file, with no -wal beside it to lose on the way.
        target.execute("PRAGMA journal_mode=DELETE")
        check_integrity(target, f"the copy of {database}")
    finally:
        target.close()
        source.close()
    return database_facts(f"sqlite:///{copy}")


def dump_postgres(url: str, dump: Path) -> tuple[str | None, dict[str, int]]:
    """`pg_dump --format=custom` of the database, with the revision and row counts of exactly what it dumped.

    They are read in a REPEATABLE READ transaction whose snapshot pg_dump then
    uses, so they describe the dump even while the app keeps writing.
    """
    uri, env = libpq_connection(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                revision, counts = _revision(connection), row_counts(connection)
                dump_argv = ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={uri}"]
                run_pg_tool(dump_argv, env)
    finally:
        engine.dispose()
    return revision, counts


def libpq_connection(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password for pg_dump/pg_restore, and an environment carrying it (PGPASSWORD).

    On the command line the password would be visible to every user of the machine (`ps`).
    """
    parsed = make_url(url)
    host = f"[{parsed.host}]" if parsed.host and ":" in parsed.host else parsed.host or ""  # [::1]
    netloc = f"{quote(parsed.username, safe='')}@{host}" if parsed.username else host
    if parsed.port:
        netloc += f":{parsed.port}"
    uri = f"postgresql://{netloc}/{quote(parsed.database or '', safe='')}"
    if parsed.query:
        # The psycopg dialect hands its query to libpq as it is (host=/run/postgresql, sslmode, options).
        uri += "?" + urlencode(parsed.query, doseq=True, quote_via=quote)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = parsed.password
    return uri, env


def run_pg_tool(argv: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise BackupError(
            f"{argv[0]} is not installed: install the PostgreSQL client tools (Debian: apt install postgresql-client)"
        ) from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{argv[0]} did not finish within {PG_TOOL_TIMEOUT_SECONDS} seconds") from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise BackupError(f"{argv[0]} failed: {detail}")


def stored_files(data_dir: Path) -> list[tuple[str, Path, int]]:
    """(archive name, path, mode) of every stored file, in a stable order."""
    found = []
    for name in STORED_UNDER_DATA_DIR:
        top = data_dir / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if path.is_file() and not path.is_symlink():
                relative = path.relative_to(data_dir).as_posix()
                found.append((FILES_PREFIX + relative, path, path.stat().st_mode & 0o777))
    return found


class _HashingReader:
    """Hashes exactly the bytes tarfile reads, so each checksum is of what the archive holds."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        return data


def write_archive(partial: Path, members: list[tuple[str, Path, int]], manifest: dict) -> None:
    """Write the members, then manifest.json with their checksums as the last member, into a new tar.gz."""
    checksums = {}
    # Children's records: readable by the owner only, from the first byte.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        # Photos are JPEG already: a middling level saves time and loses little.
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            for name, path, mode in members:
                info = tarfile.TarInfo(name)
                stat = path.stat()
                info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), mode
                with path.open("rb") as file:
                    reader = _HashingReader(file)
                    tar.addfile(info, reader)
                checksums[name] = {"sha256": reader.sha256.hexdigest(), "bytes": info.size}
            body = json.dumps(manifest | {"files": checksums}, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(utcnow().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
        raw.flush()
        os.fsync(raw.fileno())


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest archives beyond the newest `keep`, by the time in their names; the deleted ones."""
    archives = sorted(directory.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"), key=lambda path: path.name)
    doomed = archives[: max(len(archives) - keep, 0)]
    for path in doomed:
        path.unlink()
    return doomed


# ---------------------------------------------------------------- restore


def restore_backup(archive: Path, url: str, data_dir: Path, *, force: bool = False) -> RestoreReport:
    """Put the archive's database and files back; refuse before changing anything when that cannot be done."""
    manifest = verify_archive(archive)
    kind = "sqlite" if is_sqlite(url) else "postgresql"
    if manifest["database"]["kind"] != kind:
        raise BackupError(
            f"this backup holds a {manifest['database']['kind']} database but DATABASE_URL is {kind}: "
            f"restore it into the same kind of database; {NOTHING_CHANGED}"
        )
    revision = manifest["alembic_revision"]
    scripts = ScriptDirectory.from_config(alembic_config(url))
    if revision is not None and revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"this backup was made by a newer nursery_ops (database revision {revision}): "
            f"update nursery_ops before restoring it; {NOTHING_CHANGED}"
        )
    if not force and target_has_data(url):
        raise BackupError(
            "the target database already has data: restore into an empty one, or pass --force to replace it; "
            + NOTHING_CHANGED
        )

    data_dir.mkdir(parents=True, exist_ok=True)
    # Staged inside the data directory: the files then move into place on the same file system.
    with tempfile.TemporaryDirectory(prefix=".nursery-restore-", dir=data_dir) as staging:
        staged = extract_archive(archive, manifest, Path(staging))
        if kind == "sqlite":
            restore_sqlite(staged / manifest["database"]["path"], sqlite_path(url))
        else:
            restore_postgres(staged / manifest["database"]["path"], url)
        # Only after the database: when its restore fails, the data directory is as it was.
        files = put_back_files(staged, manifest, data_dir)

    _current, counts = database_facts(url)
    mismatches = [
        f"{name}: {expected} in the backup, {counts.get(name, 'no table')} restored"
        for name, expected in sorted(manifest["row_counts"].items())
        if counts.get(name) != expected
    ]
    migrated_to = None
    if revision != scripts.get_current_head() and not mismatches:
        migrate(url)
        migrated_to = scripts.get_current_head()
    return RestoreReport(make_url(url).render_as_string(hide_password=True), files, counts, mismatches, revision,
                         migrated_to)


def verify_archive(archive: Path) -> dict:
    """The manifest, once every file in the archive has the checksum it lists (nothing is written)."""
    manifest, digests = _read_archive(archive)
    _check_digests(archive, manifest, digests)
    return manifest


def extract_archive(archive: Path, manifest: dict, staging: Path) -> Path:
    """Write the members under `staging`, checking them again (the archive may have changed since)."""

    def write(name: str, chunks) -> None:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)

    _manifest, digests = _read_archive(archive, write)
    _check_digests(archive, manifest, digests)
    return staging


def _read_archive(archive: Path, sink=None) -> tuple[dict, dict[str, str]]:
    """Stream through the archive once: its manifest, and the sha256 of every other member.

    `sink(name, chunks)` may write the bytes somewhere; the hash is of the same bytes.
    """
    if not archive.is_file():
        raise BackupError(f"there is no backup at {archive}")
    manifest_body, digests = None, {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _safe_name(member.name) or member.name in digests:
                    raise BackupError(
                        f"{archive} holds an unexpected entry {member.name!r}: it is not a nursery backup; "
                        + NOTHING_CHANGED
                    )
                file = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest_body = file.read()
                    continue
                sha256 = hashlib.sha256()
                chunks = _hashed_chunks(file, sha256)
                if sink is None:
                    for _chunk in chunks:
                        pass
                else:
                    sink(member.name, chunks)
                digests[member.name] = sha256.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is damaged or not a backup archive ({error}); {NOTHING_CHANGED}") from None
    if manifest_body is None:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a complete nursery backup; {NOTHING_CHANGED}")
    return parse_manifest(manifest_body, archive), digests


def _hashed_chunks(file, sha256):
    while chunk := file.read(CHUNK_BYTES):
        sha256.update(chunk)
        yield chunk


def _safe_name(name: str) -> bool:
    """The manifest, or a file under database/ or files/; never a path that climbs out (`..`, `/etc`)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        return False
    return name == MANIFEST or (len(path.parts) >= 2 and path.parts[0] in ("database", FILES_PREFIX.rstrip("/")))


def parse_manifest(body: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(body)
        if manifest["format"] != FORMAT:
            raise ValueError("not a nursery_ops backup")
        if manifest["format_version"] > FORMAT_VERSION:
            raise ValueError(f"format version {manifest['format_version']} is newer than this nursery_ops reads")
        database = manifest["database"]
        if DATABASE_MEMBERS.get(database["kind"]) != database["path"] or database["path"] not in manifest["files"]:
            raise ValueError("no database in it")
        for name, entry in manifest["files"].items():
            if not _safe_name(name) or name == MANIFEST or len(entry["sha256"]) != 64:
                raise ValueError(f"bad entry {name!r}")
        if not all(isinstance(count, int) for count in manifest["row_counts"].values()):
            raise ValueError("bad row counts")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"{archive} has an unreadable {MANIFEST} ({error}); {NOTHING_CHANGED}") from None
    return manifest


def _check_digests(archive: Path, manifest: dict, digests: dict[str, str]) -> None:
    expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    damaged = sorted(name for name in expected.keys() & digests.keys() if expected[name] != digests[name])
    missing = sorted(expected.keys() - digests.keys())
    extra = sorted(digests.keys() - expected.keys())
    problems = [f"checksum differs: {', '.join(damaged)}"] if damaged else []
    problems += [f"missing: {', '.join(missing)}"] if missing else []
    problems += [f"not in the manifest: {', '.join(extra)}"] if extra else []
    if problems:
        raise BackupError(f"{archive} is damaged ({'; '.join(problems)}); {NOTHING_CHANGED}")


def target_has_data(url: str) -> bool:
    """Any row in any table but alembic's own: a freshly migrated database is still empty."""
    if is_sqlite(url) and not sqlite_path(url).exists():
        return False
    _current, counts = database_facts(url)
    return any(count for name, count in counts.items() if name != "alembic_version")


def restore_sqlite(copy: Path, database: Path) -> None:
    """Copy the database in through SQLite's backup API, so a -wal file or an open connection stays consistent."""
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(database, timeout=30)
    try:
        source.backup(target)
        check_integrity(target, f"the restored database {database}")
    finally:
        target.close()
        source.close()


def restore_postgres(dump: Path, url: str) -> None:
    uri, env = libpq_connection(url)
    # One transaction: a restore that fails half-way leaves the database as it was. Owners and
    # grants name roles of the server the backup came from, which this one may not have.
    run_pg_tool(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                 "--exit-on-error", f"--dbname={uri}", str(dump)], env)


def put_back_files(staged: Path, manifest: dict, data_dir: Path) -> int:
    count = 0
    for name in sorted(manifest["files"]):
        if name.startswith(FILES_PREFIX):
            target = data_dir / name.removeprefix(FILES_PREFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / name, target)
            count += 1
    return count


# ---------------------------------------------------------------- shared


def check_integrity(connection: sqlite3.Connection, what: str) -> None:
    result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(result[:5])}")


def row_counts(connection: Connection) -> dict[str, int]:
    names = sorted(inspect(connection).get_table_names())
    return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def database_facts(url: str) -> tuple[str | None, dict[str, int]]:
    """The alembic revision and the row count of every table."""
    # A plain engine: nursery_ops.db.build_engine would switch a backup copy to WAL mode.
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return _revision(connection), row_counts(connection)
    finally:
        engine.dispose()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
