"""The real server in a process of its own, a small nursery for it, and staff clients that post to it.

Used by the concurrency and crash tests: the app runs exactly as `python -m nursery_ops serve`
runs it (uvicorn, the app factory, settings from the environment), so a kill is a real kill
and lock waits happen between real connections. The nursery is built on the wall clock, not the
suite's travelling one (`morning_clock`), because the server reads the wall clock: its "now"
must fall inside the children's stay.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.auth.models import Role
from nursery_ops.cli import migrate
from nursery_ops.clock import local_date, local_today, to_local, utcnow
from nursery_ops.dailylog.models import LogEntry
from nursery_ops.db import build_engine, open_session, write_session
from nursery_ops.incidents.models import Incident
from nursery_ops.rooms.models import RoomType
from nursery_ops.settings import PROJECT_ROOT
from nursery_ops.templating import LOCALE_COOKIE
from tests import factories as f

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
LOCK_ERROR = "database is locked"


@pytest.fixture
def morning_clock():
    """Replaces the suite's travelling clock (tests/conftest.py) for these tests: the server in its own
    process reads the wall clock, and the data it is given must be built on the same one."""
    return None


# ---------------------------------------------------------------- the nursery


@dataclass
class RoomSetUp:
    id: int
    child_ids: list[int]  # all arrived today
    caregivers: list[str]  # usernames, each assigned to the room


@dataclass
class Nursery:
    rooms: list[RoomSetUp]
    director: str = "director"


def arrival() -> datetime:
    """An hour ago, or the nursery's midnight if later: log entries are refused before a child arrives.

    (A run across the nursery's midnight would find the children not yet arrived on the new day.)
    """
    zone = to_local(utcnow()).tzinfo
    midnight = datetime.combine(local_today(), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return max(utcnow() - timedelta(hours=1), midnight)


def build_nursery(url: str, rooms: int, caregivers_per_room: int, children_per_room: int) -> Nursery:
    """Migrate `url` to head and add a director, rooms with their caregivers, and children who have arrived."""
    migrate(url)
    engine = build_engine(url)
    built = []
    try:
        with write_session(engine) as session:
            director = f.make_person(session, "director", Role.director, full_name="李园长")
            at = arrival()
            for r in range(rooms):
                room = f.make_room(session, f"{r + 1} 班", RoomType.older)
                usernames = []
                for c in range(caregivers_per_room):
                    username = f"carer_{r}_{c}"
                    f.assign(session, room, f.make_person(session, username, Role.caregiver, full_name=f"老师{r}{c}"))
                    usernames.append(username)
                child_ids = []
                for n in range(children_per_room):
                    child = f.make_child(session, f"孩子{r}-{n}", months=30)
                    f.enrol(session, child, room)
                    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=local_date(at), check_in_at=at,
                                           brought_by="妈妈 (母亲)", checked_in_by_id=director.id))
                    child_ids.append(child.id)
                built.append(RoomSetUp(room.id, child_ids, usernames))
    finally:
        engine.dispose()
    return Nursery(built)


def stored_tokens(url: str) -> set[str]:
    """The form tokens of every log entry and incident in the database."""
    engine = build_engine(url)
    try:
        with open_session(engine, write=False) as session:
            entries = session.exec(select(LogEntry.form_token).where(LogEntry.form_token.is_not(None))).all()
            incidents = session.exec(select(Incident.form_token).where(Incident.form_token.is_not(None))).all()
    finally:
        engine.dispose()
    return set(entries) | set(incidents)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """`python -m nursery_ops serve` on a free local port; its output goes to `log_path`."""

    database_url: str
    home: Path  # the working directory and DATA_DIR: nothing of ./var or a .env is read
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self):
        self.log_path = self.home / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.home / "data"),
            "SECRET_KEY": "safety-test-secret",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nursery_ops", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", "1"],
                cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped while starting:\n{self.log()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2, trust_env=False).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, no checkpoint (what the process wrote, the OS keeps)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# ---------------------------------------------------------------- a member of staff at a tablet


class Tablet:
    """One signed-in person's browser: session cookie, CSRF token, htmx posts (a 200 with the tile on success)."""

    def __init__(self, base_url: str, username: str, password: str = f.PASSWORD):
        # trust_env=False: a proxy from the environment must not stand between the tests and 127.0.0.1.
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False, trust_env=False,
                                 cookies={LOCALE_COOKIE: "en"})
        page = self.http.get("/login")
        response = self.http.post("/login", data={
            "username": username, "password": password, "csrf_token": CSRF_FIELD.search(page.text).group(1),
        })
        assert response.status_code == 303, f"{username} could not sign in: {response.status_code}"
        home = self.http.get(response.headers["location"])
        self.csrf_token = CSRF_META.search(home.text).group(1)

    def post(self, url: str, data: dict) -> httpx.Response:
        return self.http.post(url, data=data, headers={"HX-Request": "true", "X-CSRF-Token": self.csrf_token})

    def close(self) -> None:
        self.http.close()


def new_token() -> str:
    return secrets.token_urlsafe(12)


def log_note(tablet: Tablet, room: RoomSetUp, child_id: int, token: str, kind: str) -> httpx.Response:
    """A daily-log entry of `kind` whose form token (and text, where it has one) names it."""
    fields = {"form_token": token}
    if kind in ("note", "activity"):
        fields["text"] = f"{kind} {token}"
    elif kind == "mood":
        fields |= {"mood": "happy", "text": f"mood {token}"}
    elif kind == "bottle":
        fields["millilitres"] = "120"
    return tablet.post(f"/rooms/{room.id}/children/{child_id}/log/{kind}", fields)


def record_incident(tablet: Tablet, child_id: int, token: str) -> httpx.Response:
    """A minor incident (303 to the incident on success) whose form token names it."""
    now = to_local(utcnow())
    return tablet.post("/incidents/new", {
        "form_token": token, "child_id": str(child_id), "category": "fall", "place": "活动室",
        "occurred_on": now.date().isoformat(), "occurred_time": now.strftime("%H:%M"),
        "description": f"incident {token}", "first_aid": "Cooled the bump.",
    })


def accepted(response: httpx.Response) -> bool:
    """A write the app says it saved: the tile (200) or the way to the new record (303)."""
    return response.status_code == 200 or (
        response.status_code == 303 and response.headers.get("location", "").startswith("/incidents/")
    )
