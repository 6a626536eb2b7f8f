"""What the benchmark asks of the app: the pages and writes it measures, who asks, and on which rows.

`find_targets(engine)` picks the rows from a generated database (the 20-child room, the child with the
longest stay and its contract, a parent of two...); `PAGES` and `WRITES` say how each request is made.
run.py sends them over HTTP and in-process; tests/bench/test_statements.py counts their statements.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select

from nursery_ops import schema  # noqa: F401  (every table in the metadata)
from nursery_ops.db import metadata

tables = metadata.tables


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    persona: str  # a username, or "" for nobody signed in
    form: dict = field(default_factory=dict)
    htmx: bool = False

    def body(self) -> bytes:
        return urlencode(self.form).encode()


@dataclass
class Targets:
    today: date
    read_room: int  # the room view measured: the present room with the most children
    small_room: int  # the present room with the fewest children (room size comparison)
    write_room: int  # where log entries are posted (a present room other than read_room when there is one)
    child: int  # the current child with the longest stay (the most history)
    contract: int  # that child's contract in force
    parent: str  # the username of a parent with the most children here
    caregivers: dict[int, str]  # room id → the username of one of its caregivers
    write_children: list[int]  # present children of write_room
    arrivals: list[tuple[int, int, int]]  # (room id, child id, mother's guardian id): not yet in today
    report_month: str  # YYYY-MM, last month
    people: dict[str, int] = field(default_factory=dict)  # username → person id, of everyone with a sign-in

    @property
    def personas(self) -> list[str]:
        names = {"director", "health", self.parent, self.caregivers[self.read_room], self.caregivers[self.write_room]}
        names |= {self.caregivers[room_id] for room_id, _child, _mother in self.arrivals}
        return sorted(names)


def find_targets(engine: Engine, today: date) -> Targets:
    enrolment, attendance, person = tables["enrolment"], tables["attendance"], tables["person"]
    with engine.connect() as connection:
        current = select(enrolment.c.room_id, func.count().label("children")).where(
            enrolment.c.status == "enrolled").group_by(enrolment.c.room_id)
        sizes = dict(connection.execute(current).all())
        in_today = dict(connection.execute(
            select(attendance.c.room_id, func.count()).where(attendance.c.on_date == today).group_by(attendance.c.room_id)
        ).all())
        present = sorted((room_id for room_id in sizes if in_today.get(room_id)), key=lambda room_id: (-sizes[room_id], room_id))
        read_room, small_room = present[0], present[-1]
        write_room = next((room_id for room_id in present if room_id != read_room), read_room)
        caregivers = {}
        for room_id, username in connection.execute(
            select(tables["room_caregiver"].c.room_id, person.c.username)
            .join(person, person.c.id == tables["room_caregiver"].c.person_id).order_by(tables["room_caregiver"].c.id)
        ):
            caregivers.setdefault(room_id, username)
        child = connection.execute(
            select(enrolment.c.child_id).where(enrolment.c.status == "enrolled", enrolment.c.room_id == read_room)
            .order_by(enrolment.c.start_date, enrolment.c.child_id).limit(1)
        ).scalar_one()
        contract = connection.execute(
            select(tables["contract"].c.id).where(tables["contract"].c.child_id == child,
                                                  tables["contract"].c.status.in_(("signed", "active")))
        ).scalar_one()
        link = tables["child_guardian"]
        parent = connection.execute(
            select(person.c.username).join(link, link.c.guardian_id == person.c.guardian_id)
            .join(enrolment, enrolment.c.child_id == link.c.child_id).where(enrolment.c.status == "enrolled")
            .group_by(person.c.username).order_by(func.count().desc(), person.c.username).limit(1)
        ).scalar_one()
        write_children = list(connection.execute(
            select(attendance.c.child_id).where(attendance.c.on_date == today, attendance.c.room_id == write_room)
            .order_by(attendance.c.child_id)
        ).scalars())
        arrived = select(attendance.c.child_id).where(attendance.c.on_date == today)
        arrivals = [tuple(row) for row in connection.execute(
            select(enrolment.c.room_id, enrolment.c.child_id, link.c.guardian_id)
            .join(link, (link.c.child_id == enrolment.c.child_id) & (link.c.relation == "母亲"))
            .where(enrolment.c.status == "enrolled", enrolment.c.child_id.not_in(arrived),
                   enrolment.c.room_id.not_in(present))
            .order_by(enrolment.c.child_id)
        )]
        people = {username: person_id for person_id, username in connection.execute(
            select(person.c.id, person.c.username).where(person.c.username.is_not(None)))}
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return Targets(today, read_room, small_room, write_room, child, contract, parent, caregivers, write_children,
                   arrivals, last_month.strftime("%Y-%m"), people)


def pages(targets: Targets) -> dict[str, Request]:
    """The pages of the issue, each as its usual reader opens it; `trivial` is the baseline (no database)."""
    return {
        "trivial": Request("GET", "/ping", ""),
        "room_view": Request("GET", f"/rooms/{targets.read_room}", targets.caregivers[targets.read_room]),
        "child_record": Request("GET", f"/children/{targets.child}", "director"),
        "family": Request("GET", "/family", targets.parent),
        "director": Request("GET", "/director", "director"),
        "health": Request("GET", "/health", "health"),
        "contract": Request("GET", f"/contracts/{targets.contract}", "director"),
        "month_report": Request("GET", f"/reports/attendance?month={targets.report_month}", "director"),
    }


LOG_KINDS = (("bottle", {"millilitres": "120"}), ("nappy", {"nappy": "wet"}), ("note", {"text": "今天玩得很开心"}))


def log_entry(targets: Targets, number: int, token_prefix: str) -> Request:
    """A daily-log entry posted from the room tablet (htmx: the tile comes back), with a fresh form token."""
    child = targets.write_children[number % len(targets.write_children)]
    kind, form = LOG_KINDS[number % len(LOG_KINDS)]
    return Request("POST", f"/rooms/{targets.write_room}/children/{child}/log/{kind}",
                   targets.caregivers[targets.write_room], {**form, "form_token": f"{token_prefix}{number}"}, htmx=True)


def check_in(targets: Targets, arrival: tuple[int, int, int]) -> Request:
    """A child's arrival at the door, brought by the mother (the morning check is done)."""
    room_id, child_id, mother_id = arrival
    return Request("POST", f"/rooms/{room_id}/children/{child_id}/check-in", targets.caregivers[room_id],
                   {"brought_by": f"guardian:{mother_id}"}, htmx=True)


def room_view_of(targets: Targets, room_id: int) -> Request:
    return Request("GET", f"/rooms/{room_id}", targets.caregivers[room_id])
