"""The security tests' world: every kind of record a route can name, twice, and the people who visit.

Side X is family X's child in room A (caregiver A's room), side Y family Y's child in
room B (caregiver B's). `build_rich` writes it straight to a fresh SQLite file and opens
every visitor's session before `DbWatch` snapshots the file. Tests then only send
requests: `DbWatch` sees any commit, tells which tables changed, and puts the snapshot
back, so one request never changes what the next one finds.
"""

import asyncio
import threading
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import httpx
from fastapi.routing import APIRoute
from sqlmodel import Session

from nursery_ops.app import create_app
from nursery_ops.auth import csrf, invitations
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.auth.models import Role
from nursery_ops.auth.service import start_session
from nursery_ops.billing.models import MealSpending, Refund, RefundKind
from nursery_ops.clock import local_today, utcnow
from nursery_ops.committee.models import (
    ActivityKind,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOpinion,
    CommitteeRole,
    ParentActivity,
)
from nursery_ops.contracts.models import CalendarDay, CalendarDayKind, ContractStatus, ForbiddenPhrase
from nursery_ops.dailylog.models import EntryKind, OutdoorTime
from nursery_ops.db import build_engine
from nursery_ops.illness.models import Illness, OutbreakAlert, OutbreakRule, Symptom
from nursery_ops.incidents.models import IncidentCategory
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from nursery_ops.policy import ITEMS
from nursery_ops.rooms.models import RoomType
from nursery_ops.rooms.tablet import room_actor
from nursery_ops.staff.models import (
    CertificateKind,
    Job,
    StaffCertificate,
    StaffProfile,
    StaffTraining,
    TrainingKind,
)
from nursery_ops.templating import LOCALE_COOKIE
from tests import factories as f
from tests.family import builders as b
from tests.test_access import access_rules, api_routes

# ---------------------------------------------------------------- the app's routes


def every_route(app) -> list[tuple[str, APIRoute]]:
    """(method, route) for every route of the app, as tests/test_access.py walks them."""
    return [(method, route) for route in api_routes(app.routes) for method in sorted(route.methods)]


def rule_of(route: APIRoute) -> str:
    """The route's access rule: "public", "signed-in", or the roles it admits ("caregiver, director")."""
    return access_rules(route.dependant)[0]


def uses(dependant, call) -> bool:
    return any(dependency.call is call or uses(dependency, call) for dependency in dependant.dependencies)


def is_room_route(route: APIRoute) -> bool:
    """A room tablet action (`actor: RoomActing`): rooms/tablet.room_actor admits a caregiver only in their own rooms."""
    return uses(route.dependant, room_actor)


def params_of(path: str) -> list[str]:
    return re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path)


# ---------------------------------------------------------------- who visits

ROLES = ("anonymous", "director", "caregiver_a", "caregiver_b", "health", "parent_x", "parent_y", "deactivated")
# Whose records are "own": a parent's family, a caregiver's room (the deactivated account was caregiver A).
HOME = {"caregiver_a": "X", "caregiver_b": "Y", "parent_x": "X", "parent_y": "Y", "deactivated": "X"}
CSRF_COOKIE_VALUE = "security-csrf-cookie"


class Browser:
    """Sends requests straight to the ASGI app on one event loop: no server, no thread per request.

    The loop runs in a thread of its own, so it works whatever else holds the main thread's loop
    (Playwright's sync API keeps one running after the browser tests). The app's own error pages
    stand: a crash comes back as its 500 page (logged), not as an exception.
    """

    def __init__(self, app):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="security-browser", daemon=True)
        self.thread.start()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False)

    def run(self, coroutine):
        """Run a coroutine on the browser's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def send(self, method: str, url: str, cookies: dict[str, str], form: dict | None = None) -> httpx.Response:
        self.client.cookies.clear()  # a response's Set-Cookie (sign-out, language) is not kept
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
        return self.run(self.client.request(method, url, headers=headers, data=form if method != "GET" else None))

    def close(self) -> None:
        self.run(self.client.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


VALID = "valid"  # Visitor.send's default: the token that matches the visitor's CSRF cookie


class Visitor:
    """One person's browser: their session cookie, a CSRF cookie, English pages."""

    def __init__(self, browser: Browser, cookies: dict[str, str]):
        self.browser = browser
        self.cookies = cookies

    def send(self, method: str, url: str, *, token: str | None = VALID):
        """GET with no body; any other method with an empty form carrying `token` (None: no token at all)."""
        if method == "GET":
            return self.browser.send(method, url, self.cookies)
        if token == VALID:
            token = csrf._sign(CSRF_COOKIE_VALUE)
        return self.browser.send(method, url, self.cookies, {} if token is None else {"csrf_token": token})


# ---------------------------------------------------------------- path parameters → ids

# Every parameter name that names a record of one side, with what it is.
SIDE_RECORDS = {
    "activity_id": "a committee activity (家长活动 / 满意度调查)",
    "adult_id": "a trusted adult of the child (pick-up list)",
    "alert_id": "an outbreak alert of the room",
    "attendance_id": "today's attendance of the child",
    "authorisation_id": "a medication authorisation of the child",
    "bill_id": "an issued bill of the child's contract",
    "certificate_id": "a certificate of the side's caregiver",
    "child_id": "the side's child",
    "code": "a pending invitation code of the child's second guardian",
    "contract_id": "the child's signed contract",
    "day_id": "a closed day in the calendar",
    "dose_id": "a dose given today",
    "enrolment_id": "the child's enrolment",
    "exam_id": "a periodic health exam of the child",
    "guardian_id": "the child's second guardian (no sign-in yet, invited)",
    "illness_id": "an open illness of the child today, in the room",
    "incident_id": "an incident (a fall) of the child in the room, recorded by the room's caregiver",
    "invitation_id": "the second guardian's pending invitation",
    "key": "a rule of the rules page",
    "measurement_id": "a growth measurement of the child",
    "meeting_id": "a committee meeting",
    "member_id": "a committee member (the child's mother)",
    "opinion_id": "a committee opinion",
    "payment_id": "a payment on the child's contract",
    "period_id": "an outdoor period of the room today",
    "person_id": "the side's caregiver (assigned to the room)",
    "photo_id": "a daily-log photo of the child today",
    "phrase_id": "a forbidden contract phrase",
    "refund_id": "a refund on the child's contract",
    "room_id": "the side's room",
    "spending_id": "a meal spending entry",
    "training_id": "a training of the side's caregiver",
}


# Path parameters that name nothing of a family or a room: one value everywhere.
FIXED = {
    "on": lambda: local_today().isoformat(),
    "indicator": lambda: "wfa",  # growth/who.Indicator.weight_for_age
    "slug": lambda: "meal",
    "step": lambda: "isolate",
}
# Path parameters whose record depends on the route (first matching path prefix wins).
BY_ROUTE = {
    "entry_id": [("/staff/roster/", "roster_entry_id"), ("/rooms/{room_id}/log/", "log_entry_id")],
}
# Routes that need a record in another state than the side's usual one: a draft contract to edit or discard.
ROUTE_RECORD = {
    ("/contracts/{contract_id}/edit", "contract_id"): "draft_contract_id",
    ("/contracts/{contract_id}/discard", "contract_id"): "draft_contract_id",
}


def record_kind(path: str, param: str) -> str | None:
    """Which record of a side a path parameter names (None: a FIXED value). Fails on a parameter nobody described."""
    if (path, param) in ROUTE_RECORD:
        return ROUTE_RECORD[(path, param)]
    if param in FIXED:
        return None
    if param in BY_ROUTE:
        for prefix, kind in BY_ROUTE[param]:
            if path.startswith(prefix):
                return kind
        raise AssertionError(f"{path}: which record is {{{param}}} here? Add the path prefix to BY_ROUTE in tests/security/world.py.")
    if param in SIDE_RECORDS:
        return param
    raise AssertionError(
        f"{path}: which record is {{{param}}}? Build one per side in tests/security/world.py (build_side, SIDE_RECORDS) "
        "or give it a FIXED value."
    )


def object_params(path: str) -> list[str]:
    return [param for param in params_of(path) if record_kind(path, param) is not None]


@dataclass
class Rich:
    app: object
    engine: object
    browser: Browser
    watch: "DbWatch"
    visitors: dict[str, Visitor]
    ids: dict[str, dict[str, object]]  # side → record kind → id (X, Y, and "abuse": X's with a suspected abuse)
    markers: dict[str, dict]  # side → {"child": its child's name, "health": texts of its health records}; "abuse": the text
    routes: list[tuple[str, APIRoute]] = field(default_factory=list)

    def url(self, path: str, sides: dict[str, str]) -> str:
        """`path` with each parameter filled from the side `sides` names for it (FIXED values otherwise)."""

        def value(match: re.Match) -> str:
            param = match.group(1)
            kind = record_kind(path, param)
            if kind is None:
                return FIXED[param]()
            return str(self.ids[sides[param]][kind])

        return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)


# ---------------------------------------------------------------- watching the database


class DbWatch:
    """Sees every commit to the SQLite file, tells which tables' contents changed, and restores the snapshot.

    What a page view writes by design is left out of the comparison, and only that: the
    tablet's last-action time (`login_session.acting_seen_at`, rooms/tablet.keep_awake) and
    the audit entries of reads — a staff read of a health record ("health_record_read",
    audit.record_read) and an export of a child's record ("child_record_exported",
    family/export.record_export). Every other column of every row of every table counts, but for
    `table_version`: the versions each commit stamps on the tables it wrote (nursery_ops.pagecache),
    whose own rows are compared here anyway.
    """

    IGNORED_COLUMNS = {"login_session": {"acting_seen_at"}}
    IGNORED_TABLES = {"table_version"}
    AUDITED_READS = ("health_record_read", "child_record_exported")

    def __init__(self, path):
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.saved = sqlite3.connect(":memory:", check_same_thread=False)
        self.baseline: dict[str, list] = {}
        self.version = None

    def _data_version(self) -> int:
        return self.connection.execute("PRAGMA data_version").fetchone()[0]

    def contents(self) -> dict[str, list]:
        tables = [row[0] for row in self.connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        found = {}
        for table in tables:
            if table in self.IGNORED_TABLES:
                continue
            cursor = self.connection.execute(f'SELECT * FROM "{table}"')
            names = [column[0] for column in cursor.description]
            kept = [index for index, name in enumerate(names) if name not in self.IGNORED_COLUMNS.get(table, ())]
            action = names.index("action") if table == "audit_entry" else None
            rows = [tuple(row[index] for index in kept) for row in cursor
                    if action is None or row[action] not in self.AUDITED_READS]
            found[table] = sorted(rows, key=repr)
        return found

    def snapshot(self) -> None:
        self.connection.backup(self.saved)
        self.baseline = self.contents()
        self.version = self._data_version()

    def changed_tables(self) -> list[str]:
        """Tables whose contents differ from the snapshot (nothing committed since the last look: none)."""
        version = self._data_version()
        if version == self.version:
            return []
        self.version = version
        now = self.contents()
        return sorted(table for table in now if now[table] != self.baseline.get(table))

    def restore(self) -> None:
        self.saved.backup(self.connection)
        self.version = self._data_version()


def expect_unchanged(watch: DbWatch, what: str) -> list[str]:
    """[] when nothing changed; else a line naming the tables (and the snapshot is back)."""
    changed = watch.changed_tables()
    if changed:
        watch.restore()
        return [f"{what} changed {', '.join(changed)}"]
    return []


# ---------------------------------------------------------------- the world


def at(hour: int, minute: int = 0) -> datetime:
    return b.at(local_today(), hour, minute)


def build_side(session: Session, people: dict, name: str, room_type: RoomType, months: int, surname: str,
               closed_on) -> dict:
    """One family and its room with every kind of record the routes address.

    Returns record kind → id (the SIDE_RECORDS names, plus the route-specific kinds), its
    people, and the texts only this side's pages may show (`markers`).
    """
    director, health = people["director"], people["health"]
    today = local_today()
    room = f.make_room(session, f"{name} 班", room_type)
    caregiver = f.make_person(session, f"carer_{name.lower()}", Role.caregiver, full_name=f"{name} 老师")
    f.assign(session, room, caregiver)
    session.add(StaffProfile(person_id=caregiver.id, job=Job.caregiver))
    certificate = StaffCertificate(person_id=caregiver.id, kind=CertificateKind.health, number=f"JK-{name}",
                                   issued_on=today - timedelta(days=100), valid_until=today + timedelta(days=265),
                                   recorded_by_id=director.id)
    training = StaffTraining(person_id=caregiver.id, on_date=today - timedelta(days=30), hours_tenths=40,
                             kind=TrainingKind.pre_service, provider="区妇幼保健院", recorded_by_id=director.id)
    session.add_all([certificate, training])
    roster = f.roster(session, caregiver, today + timedelta(days=1), room)

    child = f.make_child(session, f"{surname}小{name}", months=months)
    mother = f.make_guardian(session, child, f"{surname}妈妈", phone="13800138000")
    father = f.make_guardian(session, child, f"{surname}爸爸", relation="父亲", phone="13700137001")
    parent = f.make_person(session, f"parent_{name.lower()}", Role.parent, full_name=f"{surname}妈妈", guardian_id=mother.id)
    enrolment = f.enrol(session, child, room)
    f.complete_admission(session, child, enrolment, mother)
    adult = f.make_trusted_adult(session, child, f"{surname}奶奶")
    code = invitations.new_code()
    invitation = invitations.ParentInvitation(guardian_id=father.id, code_hash=invitations.code_digest(code),
                                              created_by_id=director.id, expires_at=utcnow() + timedelta(hours=48))
    session.add(invitation)

    # Today in the room: arrival, a note, a photo, outdoor time, an illness, an incident, a dose.
    attendance = b.arrival(session, child, room, caregiver)
    note = b.entry(session, child, room, caregiver, EntryKind.note, clock=(9, 0), text=f"{child.full_name} 的一天")
    photo = b.photo(session, child, room, caregiver, clock=(9, 30))
    outdoor = OutdoorTime(room_id=room.id, on_date=today, started_at=at(9, 40), ended_at=at(10, 10), by_id=caregiver.id)
    illness = Illness(child_id=child.id, room_id=room.id, on_date=today, started_at=at(10, 0), started_by_id=caregiver.id,
                      symptoms=Symptom.cough.value, symptom_note=f"{name} 班午睡后咳嗽", temperature_tenths=372)
    session.add_all([outdoor, illness])
    incident = f.make_incident(session, child, caregiver, room_id=room.id, description=f"Slipped on the slide of room {name}")
    authorisation = f.make_authorisation(session, child, mother, health, drug_name=f"{name} 班布洛芬混悬液")
    dose = MedicationDose(authorisation_id=authorisation.id, child_id=child.id, room_id=room.id, on_date=today,
                          slot=time(8, 30), outcome=DoseOutcome.given, at=at(8, 35), amount_hundredths=250,
                          given_by_id=caregiver.id, checked_by_id=health.id)
    session.add(dose)
    exam = f.make_exam(session, child, today - timedelta(days=20))
    measurement = f.make_measurement(session, child, health, today - timedelta(days=3), length_mm=800, weight_g=11000)
    alert = OutbreakAlert(room_id=room.id, symptom=Symptom.cough, rule=OutbreakRule.same_day, window_start=today,
                          window_end=today, case_count=3, child_ids=str(child.id), detected_at=at(9, 0))
    session.add(alert)

    # Money: a signed contract with a bill, a payment and a refund; a draft of the next one.
    contract = f.make_contract(session, enrolment, director, status=ContractStatus.active, guardian_id=mother.id,
                               guardian_signed_on=enrolment.start_date, director_signed_on=enrolment.start_date,
                               director_signed_by_id=director.id, room_type=room_type)
    draft = f.make_contract(session, enrolment, director, start_date=contract.end_date + timedelta(days=1), room_type=room_type)
    first = today.replace(day=1)
    bill = f.make_refund_bill(session, contract, director, first, first + timedelta(days=27))
    payment = f.make_refund_payment(session, contract, director, 10000, first)
    refund = Refund(contract_id=contract.id, child_id=child.id, kind=RefundKind.meals, period_start=first,
                    period_end=first, amount_fen=2000, requested_on=first, due_on=first + timedelta(days=15),
                    recorded_by_id=director.id)

    # The committee and the office's lists (nobody's own, but two of each).
    member = CommitteeMember(guardian_id=mother.id, role=CommitteeRole.member, from_date=today - timedelta(days=20),
                             created_by_id=director.id)
    session.add_all([refund, member])
    session.flush()
    meeting = CommitteeMeeting(held_on=today - timedelta(days=10), attendee_member_ids=[member.id],
                               agenda=f"{name} 班作息", minutes="同意。", created_by_id=director.id)
    opinion = CommitteeOpinion(given_on=today - timedelta(days=8), subject=f"{name} 班午睡", text="建议提前起床。",
                               created_by_id=director.id)
    activity = ParentActivity(held_on=today - timedelta(days=5), kind=ActivityKind.survey, title=f"{name} 班满意度调查",
                              participants=12, satisfaction_percent=90, created_by_id=director.id)
    closed_day = CalendarDay(on_date=closed_on, kind=CalendarDayKind.closed, name=f"{name} 检修", recorded_by_id=director.id)
    phrase = ForbiddenPhrase(phrase=f"概不退还{name}", added_by_id=director.id)
    spending = MealSpending(month=first, amount_fen=150000, note=f"{name} 食材", recorded_by_id=director.id)
    session.add_all([meeting, opinion, activity, closed_day, phrase, spending])
    session.flush()
    return {
        "people": {"caregiver": caregiver, "parent": parent},
        "activity_id": activity.id, "adult_id": adult.id, "alert_id": alert.id, "attendance_id": attendance.id,
        "authorisation_id": authorisation.id, "bill_id": bill.id, "certificate_id": certificate.id, "child_id": child.id,
        "code": code, "contract_id": contract.id, "draft_contract_id": draft.id, "day_id": closed_day.id,
        "dose_id": dose.id, "enrolment_id": enrolment.id, "exam_id": exam.id, "guardian_id": father.id,
        "illness_id": illness.id, "incident_id": incident.id, "invitation_id": invitation.id,
        "measurement_id": measurement.id, "meeting_id": meeting.id, "member_id": member.id, "opinion_id": opinion.id,
        "payment_id": payment.id, "period_id": outdoor.id, "person_id": caregiver.id, "photo_id": photo.photo_id,
        "phrase_id": phrase.id, "refund_id": refund.id, "room_id": room.id, "spending_id": spending.id,
        "training_id": training.id, "log_entry_id": note.id, "roster_entry_id": roster.id,
        "room": room, "child": child,
        # Text only this side's pages may show: its child's name, and its child's health records.
        "markers": {"child": child.full_name, "health": [authorisation.drug_name, incident.description, illness.symptom_note]},
    }


ABUSE_TEXT = "Bruises on both upper arms, child says it hurts at home"


def build_rich(template_db, path) -> Rich:
    """The world in a copy of the empty schema at `path`, every visitor signed in, the snapshot taken."""
    shutil.copy(template_db, path)
    engine = build_engine(f"sqlite:///{path}")
    today = local_today()
    with Session(engine, expire_on_commit=False) as session:
        people = {
            "director": f.make_person(session, "director", Role.director, full_name="李园长"),
            "health": f.make_person(session, "health", Role.health, full_name="刘保健"),
        }
        x = build_side(session, people, "A", RoomType.toddler, 18, "王", today + timedelta(days=40))
        y = build_side(session, people, "B", RoomType.older, 30, "赵", today + timedelta(days=41))
        x["key"], y["key"] = ITEMS[0].key, ITEMS[1].key
        # A suspected abuse of child X, reported by the health officer: caregiver A may not read it.
        abuse = f.make_incident(session, x["child"], people["health"], room_id=x["room"].id,
                                category=IncidentCategory.suspected_abuse, description=ABUSE_TEXT)
        former = f.make_person(session, "former_a", Role.caregiver, full_name="前任 老师")
        f.assign(session, x["room"], former)
        session.commit()
        people.update(caregiver_a=x["people"]["caregiver"], caregiver_b=y["people"]["caregiver"],
                      parent_x=x["people"]["parent"], parent_y=y["people"]["parent"], deactivated=former)
        tokens = {role: start_session(session, person, "pytest", "testclient") for role, person in people.items()}
        # Signed in on a tablet, then deactivated: the old cookie must open nothing.
        former.active, former.deactivated_at = False, utcnow()
        session.add(former)
        session.commit()
    app = create_app(engine=engine)
    browser = Browser(app)
    base = {csrf.COOKIE: CSRF_COOKIE_VALUE, LOCALE_COOKIE: "en"}
    visitors = {"anonymous": Visitor(browser, base)}
    visitors.update({role: Visitor(browser, {**base, SESSION_COOKIE: token}) for role, token in tokens.items()})
    ids = {"X": _record_ids(x), "Y": _record_ids(y)}
    ids["abuse"] = {**ids["X"], "incident_id": abuse.id}
    watch = DbWatch(path)
    watch.snapshot()
    markers = {"X": x["markers"], "Y": y["markers"], "abuse": ABUSE_TEXT}
    return Rich(app, engine, browser, watch, visitors, ids, markers, every_route(app))


def _record_ids(side: dict) -> dict:
    return {kind: value for kind, value in side.items() if kind not in ("people", "room", "child", "markers")}
