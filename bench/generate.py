"""A benchmark nursery with years of history, written fast: `python -m bench.generate --years 3`.

150 children in 8 rooms by default, the nursery opened `--years` (or `--months`) ago and every
place filled since: children come in at their room's youngest age and leave when they outgrow
it, so a place has several children over three years. Every service day has the staff's roster
and shifts, outdoor time, and for each child expected: an absence, or a morning check, an arrival
and departure, about 20 daily-log entries (meals, drinks, a nap with sleep checks every 15 min,
nappies, mood, activity, notes; the real dailylog enums), a midday check, now and then a
medicine course or a small incident, and the audit entries the app writes for them. Growth is
measured monthly, periodic exams follow DOMAIN.md's intervals, contracts run a year and are
billed monthly (care fee, meals, a meal credit for last month's absences, the deposit once),
nearly every bill paid; a child who left had the deposit refunded.

Rows are written with SQLAlchemy Core `executemany` in chunks, each chunk in its own
transaction, into a database migrated with `alembic upgrade head` (nursery_ops.cli.migrate).
Everything is drawn from one seeded generator and dated relative to `today`: the same arguments
on the same day give the same rows. The history ends yesterday; `prepare_today` lays out today
(staff clocked in, every expected child's morning check done, some rooms' children arrived with
their morning's log, the other rooms' children still to arrive) and can be called again to
reset today before another measurement (run.py does).

Every account signs in with PASSWORD; every tablet PIN is PIN. Both are hashed once.
"""

import argparse
import json
import random
import sys
import time as wallclock
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from pathlib import Path

from sqlalchemy import JSON, Date, DateTime, Engine, Time, delete, func, inspect, select, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection, make_url

from nursery_ops import schema  # noqa: F401  (every table in the metadata)
from nursery_ops.attendance.models import Absence, Attendance, MorningCheck
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Person, PersonRole
from nursery_ops.auth.service import hash_password
from nursery_ops.billing.models import Bill, BillCounter, BillLine, Payment, Refund
from nursery_ops.children.models import Child, ChildGuardian, Guardian, Sex, TrustedAdult
from nursery_ops.children.rules import date_at_months
from nursery_ops.contracts.models import CalendarDay, Contract
from nursery_ops.dailylog.models import LogEntry, OutdoorTime
from nursery_ops.db import UtcDateTime, build_engine, is_sqlite, metadata
from nursery_ops.demo import months_before
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.growth.models import Measurement
from nursery_ops.growth.rules import head_expected
from nursery_ops.growth.who import Indicator, age_days, table_position, value_at_sd
from nursery_ops.health.models import HealthExam
from nursery_ops.illness.models import MiddayCheck
from nursery_ops.incidents.models import Incident, IncidentStaff
from nursery_ops.medication.models import MedicationAuthorisation, MedicationDose
from nursery_ops.policy import PolicyOverride
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType
from nursery_ops.rooms.tablet import hash_pin
from nursery_ops.settings import PROJECT_ROOT, get_settings
from nursery_ops.staff.models import RosterEntry, StaffCertificate, StaffProfile, StaffShift, StaffTraining, TabletPin

PASSWORD = "bench-password"
PIN = "2580"
MARKER = "bench_generated"  # the audit action that says a database is the benchmark's own (safe to drop)
WORK_DIR = PROJECT_ROOT / "bench" / "work"
CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class RoomPlan:
    """A room and how many of its places are taken today; `arriving` rooms have nobody in yet today."""

    name: str
    room_type: RoomType
    children: int
    arriving: bool = False


# 150 children in 8 rooms within DOMAIN.md's caps (托小 15, mixed 18, 托大 20). Today the first four
# rooms' children are in (the room view reads 小太阳, 20 children; log entries are posted in 小月亮);
# the last four rooms' children are still to arrive (the check-ins).
NURSERY = (
    RoomPlan("小苹果 托小班", RoomType.toddler, 15),
    RoomPlan("小星星 混合班", RoomType.mixed, 18),
    RoomPlan("小月亮 混合班", RoomType.mixed, 18),
    RoomPlan("小太阳 托大班", RoomType.older, 20),
    RoomPlan("向日葵 托大班", RoomType.older, 20, arriving=True),
    RoomPlan("彩虹 托大班", RoomType.older, 20, arriving=True),
    RoomPlan("蒲公英 托大班", RoomType.older, 20, arriving=True),
    RoomPlan("小海豚 托大班", RoomType.older, 19, arriving=True),
)

# A small nursery for the comparisons and the statement test: a room of 20 and one of 5 whose children are in,
# and one of 5 whose children are still to arrive (the check-ins).
SMALL_NURSERY = (
    RoomPlan("大一班", RoomType.older, 20),
    RoomPlan("大二班", RoomType.older, 5),
    RoomPlan("大三班", RoomType.older, 5, arriving=True),
)

# Months of age a room takes (DOMAIN.md bands; mixed from 18) and children per caregiver.
BANDS = {RoomType.infant: (6, 12), RoomType.toddler: (12, 24), RoomType.mixed: (18, 36), RoomType.older: (24, 36)}
RATIOS = {RoomType.infant: 3, RoomType.toddler: 5, RoomType.mixed: 5, RoomType.older: 7}
CAPS = {RoomType.infant: 10, RoomType.toddler: 15, RoomType.mixed: 18, RoomType.older: 20}


@dataclass(frozen=True)
class Plan:
    rooms: tuple[RoomPlan, ...] = NURSERY
    history_days: int = 3 * 365
    seed: int = 20261
    audit: bool = True  # the audit entries the app writes with each check-in and log entry


# ---------------------------------------------------------------- names and words

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
CHILD_GIVEN = ("子墨", "一诺", "梓涵", "宇航", "诗琪", "浩然", "思彤", "一然", "子睿", "欣怡", "俊熙", "雨萱", "嘉懿", "沐阳",
               "若曦", "博文", "佳琪", "子豪", "语桐", "雨桐", "梓轩", "思涵", "浩宇", "欣妍", "俊杰", "紫萱", "宇泽", "一鸣",
               "雨欣", "可馨", "天佑", "晨曦", "文博", "雅琪", "子健", "欣然", "明轩", "皓轩", "梦琪", "子昂", "沐晴", "一帆",
               "若溪", "子宸", "语嫣", "安琪", "乐瑶", "锦程", "星辰", "知夏")
ADULT_GIVEN = ("建国", "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "静", "丽", "敏", "燕", "娟", "艳", "芳", "婷",
               "雪", "颖", "秀英", "桂兰", "玉珍", "淑芬", "国强", "建华", "志明", "德明")
SYMPTOMS = ("发烧 38.1 °C", "咳嗽，流鼻涕", "腹泻", "呕吐一次", "嗓子痛", "皮疹，已就医", "感冒")
LEAVE = ("家中有事", "随父母外出", "回老家", "")
ACTIVITIES = ("户外滑梯和沙池游戏", "绘本共读《好饿的毛毛虫》", "音乐律动", "搭积木", "手指画", "串珠子", "玩水游戏",
              "认识颜色和形状", "小小厨房角色扮演", "户外散步，观察树叶")
NOTES = ("今天午睡前有点想妈妈，抱一抱就好了", "主动和小朋友分享玩具", "午饭吃得很香，添了一次饭", "自己穿好了鞋子",
         "今天学会了一首新儿歌", "下午精神很好")
INSTITUTIONS = ("市妇幼保健院", "区妇幼保健计划生育服务中心", "街道社区卫生服务中心")
DRUGS = (("布洛芬混悬液", 250, "ml"), ("小儿氨酚黄那敏颗粒", 100, "sachet"), ("蒙脱石散", 100, "sachet"),
         ("阿莫西林颗粒", 125, "sachet"), ("氯雷他定糖浆", 250, "ml"))
# 春节 (the eve and six days) by year; the other closures are on fixed dates.
SPRING_FESTIVAL = {2022: date(2022, 1, 31), 2023: date(2023, 1, 21), 2024: date(2024, 2, 9), 2025: date(2025, 1, 28),
                   2026: date(2026, 2, 16), 2027: date(2027, 2, 5), 2028: date(2028, 1, 25), 2029: date(2029, 2, 12),
                   2030: date(2030, 2, 2)}

FULL_DAY_FEE, HALF_DAY_FEE, MEAL_FEE, DEPOSIT = 280000, 180000, 2000, 100000
FULL_HOURS, HALF_HOURS = "周一至周五 7:30–17:30", "周一至周五 上午 7:30–12:00"
DISPUTE = "双方协商解决；协商不成的，可向所在区卫生健康主管部门申请调解，或依法向人民法院提起诉讼。"


# ---------------------------------------------------------------- the rows


class Writer:
    """Buffers rows per table and writes them with executemany (PostgreSQL: COPY), parents before children, one
    transaction a chunk.

    Values are converted once, here, to what the driver takes (SQLite: the text SQLAlchemy stores for dates and
    UTC timestamps; PostgreSQL: the objects themselves), and the table's Core INSERT goes to the driver's
    executemany: SQLAlchemy's per-value type processing would be most of the generation time. Enum values are
    still checked against their enum.
    """

    def __init__(self, connection: Connection, chunk_rows: int = CHUNK_ROWS):
        self.connection = connection
        self.chunk_rows = chunk_rows
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.pending = 0
        self.counts: Counter[str] = Counter()
        self.next_ids: Counter[str] = Counter()
        self.templates = {name: _template(table) for name, table in metadata.tables.items()}
        self.order = [table.name for table in metadata.sorted_tables]
        self.statements: dict[str, tuple[str, list[str], list]] = {}

    def add(self, model, **values) -> int | None:
        """Queue one row of `model`'s table; its id is given here (so later rows can point at it)."""
        name = model.__tablename__
        template = self.templates[name]
        if "id" in template and values.get("id") is None:
            self.next_ids[name] += 1
            values["id"] = self.next_ids[name]
        unknown = values.keys() - template.keys()
        if unknown:
            raise KeyError(f"{name} has no column {sorted(unknown)}")
        self.buffers[name].append({**template, **values})
        self.pending += 1
        if self.pending >= self.chunk_rows:
            self.flush()
        return values.get("id")

    def flush(self) -> None:
        if not self.pending:
            return
        with self.connection.begin():
            for name in self.order:
                rows = self.buffers.pop(name, None)
                if rows:
                    sql, keys, converters = self._statement(name)
                    values = itemgetter(*keys)
                    params = [list(values(row)) for row in rows]
                    for position, convert in converters:
                        for row in params:
                            row[position] = convert(row[position])
                    if self.connection.dialect.name == "postgresql":
                        self._copy(name, keys, params)
                    else:
                        self.connection.exec_driver_sql(sql, list(map(tuple, params)))
                    self.counts[name] += len(rows)
        self.pending = 0

    def _copy(self, name: str, keys: list[str], params: list[list]) -> None:
        """PostgreSQL: COPY FROM STDIN, many times faster than an executemany of INSERTs."""
        columns = ", ".join(f'"{key}"' for key in keys)
        cursor = self.connection.connection.dbapi_connection.cursor()
        with cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN') as copy:
            for row in params:
                copy.write_row(row)

    def _statement(self, name: str) -> tuple[str, list[str], list]:
        """The INSERT, its parameters in order, and (position, converter) for the columns that need converting."""
        if name not in self.statements:
            table = metadata.tables[name]
            compiled = table.insert().compile(dialect=self.connection.dialect, column_keys=list(self.templates[name]))
            keys = list(compiled.positiontup) if compiled.positiontup else list(compiled.params)
            converters = [(position, convert) for position, key in enumerate(keys)
                          if (convert := _converter(table.c[key], self.connection.dialect.name)) is not None]
            self.statements[name] = (compiled.string, keys, converters)
        return self.statements[name]


_REQUIRED = object()


def _template(table) -> dict:
    """Every column with its default (scalar defaults, None when nullable); timestamps default to now."""
    now = datetime.now(UTC)
    row = {}
    for column in table.columns:
        default = column.default
        if default is not None and default.is_scalar:
            row[column.name] = default.arg
        elif default is not None and default.is_callable:
            row[column.name] = now
        elif column.nullable or column.primary_key:
            row[column.name] = None
        else:
            row[column.name] = _REQUIRED
    return row


def _converter(column, dialect: str):
    """value → what the driver is given for this column (as SQLAlchemy's own types would store it); None when the
    driver takes the value as it is. (A missing required value stays the _REQUIRED sentinel: the driver refuses it.)"""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        kind = kind.impl

    if isinstance(kind, SAEnum):
        allowed = set(kind.enums)

        def enum_value(value):
            if value is None:
                return None
            value = getattr(value, "value", value)
            if value not in allowed:
                raise ValueError(f"{column.table.name}.{column.name}: {value!r} is not one of {sorted(allowed)}")
            return value

        return enum_value
    if isinstance(kind, JSON):
        if dialect == "postgresql":
            from psycopg.types.json import Json

            return lambda value: None if value is None else Json(value)
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if dialect != "sqlite":
        return None
    if isinstance(kind, DateTime):
        def utc_text(value):
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"{column.table.name}.{column.name}: naive datetime")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

        return utc_text
    if isinstance(kind, Date):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(kind, Time):
        return lambda value: None if value is None else value.isoformat(timespec="microseconds")
    return None


# ---------------------------------------------------------------- the nursery's shape


@dataclass
class Stay:
    """One child in one place: from its start to its last day (None: still here today)."""

    room_index: int
    birth: date
    start: date
    end: date | None
    sex: str
    care_type: str = "full_day"
    child_id: int = 0
    enrolment_id: int = 0
    family: int = 0
    # z-scores the child's growth follows (one WHO curve per indicator)
    z: tuple[float, float, float] = (0.0, 0.0, 0.0)
    contracts: list[tuple[int, date, date]] = field(default_factory=list)  # (id, start, end)

    def here_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class Family:
    mother_id: int
    father_id: int
    mother_name: str
    father_name: str
    adults: list[tuple[int, str, str]]  # trusted adults of the first child: (id, name, relation)
    account_id: int | None = None


@dataclass
class Staffing:
    director: int
    health: int
    caregivers: dict[int, list[int]]  # room index → person ids
    others: list[int]


def place_chain(rng: random.Random, room_index: int, room_type: RoomType, opened: date, today: date) -> list[Stay]:
    """The children of one place, oldest first: today's child, and before it those who outgrew the place."""
    low, high = BANDS[room_type]
    span = (date_at_months(today, high) - date_at_months(today, low)).days  # days of age the room takes
    age_today = (date_at_months(today, low) - today).days + rng.randint(10, span - 5)
    birth = today - timedelta(days=age_today)
    band_start = date_at_months(birth, low)
    room_days = max(1, (today - band_start).days - 2)
    start = max(opened, band_start + timedelta(days=1 + rng.randint(0, min(45, room_days))))
    stays = [Stay(room_index, birth, min(start, today - timedelta(days=1)), None, rng.choice("fm"))]
    cursor = stays[0].start
    while cursor > opened:
        end = cursor - timedelta(days=rng.randint(3, 20))
        if end <= opened:
            break
        birth = months_before(end + timedelta(days=1), high, 0)  # outgrew the place the day after its last
        start = max(opened, date_at_months(birth, low) + timedelta(days=rng.randint(1, 45)))
        if start >= end:
            break
        stays.append(Stay(room_index, birth, start, end, rng.choice("fm")))
        cursor = start
    return list(reversed(stays))


def closed_days(first: date, last: date) -> dict[date, str]:
    """法定节假日: 元旦, 春节 (7 days), 劳动节 (5), 国庆节 (7), in the period."""
    closed = {}
    for year in range(first.year, last.year + 1):
        closed[date(year, 1, 1)] = "元旦"
        if year in SPRING_FESTIVAL:
            for offset in range(7):
                closed[SPRING_FESTIVAL[year] + timedelta(days=offset)] = "春节"
        for offset in range(5):
            closed[date(year, 5, 1) + timedelta(days=offset)] = "劳动节"
        for offset in range(7):
            closed[date(year, 10, 1) + timedelta(days=offset)] = "国庆节"
    return {day: name for day, name in closed.items() if first <= day <= last}


# ---------------------------------------------------------------- the generator


@dataclass
class Report:
    counts: dict[str, int]
    seconds: float
    today: date
    opened: date


class Generator:
    def __init__(self, connection: Connection, plan: Plan, today: date):
        self.rng = random.Random(plan.seed)
        self.plan = plan
        self.today = today
        self.opened = today - timedelta(days=plan.history_days)
        self.zone = get_settings().zone
        self.w = Writer(connection)
        self.password_hash = hash_password(PASSWORD)  # argon2 is slow: one hash for every account
        self.pin_hash = hash_pin(PIN)
        # The nursery is open on weekdays; on a weekend day the benchmark needs today to be a service day.
        weekend_today = {str(today.isoweekday())} if today.isoweekday() > 5 else set()
        self.schedule = "".join(sorted({"1", "2", "3", "4", "5"} | weekend_today))
        self.closed = closed_days(self.opened, today + timedelta(days=60))
        self.closed.pop(today, None)
        self.phone_counter = 0
        self.room_ids: list[int] = []
        self.stays: list[Stay] = []
        self.families: list[Family] = []
        self.absent_days: Counter[tuple[int, date]] = Counter()  # (stay index, first of month) → days absent
        self.medication: dict[int, tuple[int, date, str, int]] = {}  # child id → (authorisation, last day, times, dose)
        self.measured_months: set[date] = set()
        self._midnight: tuple[date | None, datetime | None] = (None, None)

    # ---- helpers

    def phone(self) -> str:
        self.phone_counter += 1
        return f"139{self.phone_counter:08d}"

    def at(self, day: date, minutes: float) -> datetime:
        """A moment `minutes` after the nursery's local midnight of `day`, as UTC."""
        if self._midnight[0] != day:
            self._midnight = (day, datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC))
        return self._midnight[1] + timedelta(minutes=minutes)

    def adult_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(ADULT_GIVEN)

    def audit(self, actor_id: int | None, action: str, entity: str, entity_id: int, child_id: int | None,
              at: datetime, after: dict | None) -> None:
        if self.plan.audit:
            self.w.add(AuditEntry, at=at, actor_id=actor_id, action=action, entity=entity, entity_id=entity_id,
                       child_id=child_id, after=after)

    # ---- the steps

    def run(self) -> None:
        self.staff = self.add_staff()
        self.add_calendar()
        self.plan_children()
        self.add_children()
        for day in _days(self.opened, self.today - timedelta(days=1)):
            self.add_day(day)
        self.add_exams()
        self.add_bills()
        self.add_roster(self.today, self.today + timedelta(days=14))
        self.w.add(PolicyOverride, key="filed_capacity", value=str(sum(CAPS[r.room_type] for r in self.plan.rooms)),
                   reason="备案人数（按各班额定人数）", changed_by_id=self.staff.director, changed_at=self.at(self.opened, 600))
        self.w.add(AuditEntry, at=datetime.now(UTC), action=MARKER, entity="person", entity_id=self.staff.director,
                   after={"history_days": self.plan.history_days, "seed": self.plan.seed, "today": self.today.isoformat()})
        self.w.flush()

    def add_person(self, username: str | None, full_name: str, roles: Iterable[str], **fields) -> int:
        person_id = self.w.add(Person, username=username, full_name=full_name,
                               password_hash=self.password_hash if username else "", phone=self.phone(),
                               password_changed_at=self.at(self.opened, -60 * 24 * 30),
                               created_at=self.at(self.opened, -60 * 24 * 30), **fields)
        for role in roles:
            self.w.add(PersonRole, person_id=person_id, role=role)
        return person_id

    def add_staff(self) -> Staffing:
        director = self.add_person("director", "李园长", ["director"])
        health = self.add_person("health", "刘保健", ["health"])
        caregivers: dict[int, list[int]] = {}
        number = 0
        for index, room_plan in enumerate(self.plan.rooms):
            room_id = self.w.add(Room, name=room_plan.name, room_type=room_plan.room_type.value,
                                 capacity=CAPS[room_plan.room_type], created_at=self.at(self.opened, -60 * 24 * 20))
            self.room_ids.append(room_id)
            needed = max(2, -(-room_plan.children // RATIOS[room_plan.room_type]))
            caregivers[index] = []
            for _ in range(needed):
                number += 1
                person_id = self.add_person(f"carer{number:02d}", self.rng.choice(SURNAMES) + "老师", ["caregiver"])
                self.w.add(RoomCaregiver, room_id=room_id, person_id=person_id)
                caregivers[index].append(person_id)
        others = [self.add_person(None, self.adult_name(), []) for _ in range(3)]  # 保安, 炊事 ×2: no sign-in
        jobs = {director: "director", health: "health", others[0]: "security", others[1]: "kitchen", others[2]: "kitchen"}
        jobs |= {person_id: "caregiver" for ids in caregivers.values() for person_id in ids}
        for person_id, job in jobs.items():
            self.w.add(StaffProfile, person_id=person_id, job=job)
            if job in ("director", "health", "caregiver"):
                self.w.add(TabletPin, person_id=person_id, pin_hash=self.pin_hash, set_by_id=director,
                           set_at=self.at(self.opened, -60 * 24 * 7))
            self.add_certificates(person_id, director)
            self.w.add(StaffTraining, person_id=person_id, on_date=self.opened - timedelta(days=60), hours_tenths=800,
                       kind="pre_service", provider="市妇幼保健院托育岗前培训", recorded_by_id=director,
                       recorded_at=self.at(self.opened, 600))
            for year_start in _yearly(self.opened, self.today):
                self.w.add(StaffTraining, person_id=person_id, on_date=year_start + timedelta(days=100), hours_tenths=400,
                           kind="ethics", provider="区卫健委师德专题培训", recorded_by_id=director,
                           recorded_at=self.at(year_start + timedelta(days=100), 960))
        return Staffing(director, health, caregivers, others)

    def add_certificates(self, person_id: int, director: int) -> None:
        """健康证, 无犯罪记录证明 and 背景审查 renewed every year (DOMAIN.md "Staff"), and a qualification."""
        for kind, prefix in (("health", "JKZ"), ("no_criminal_record", "WFZ"), ("background_check", "BJ")):
            for number, issued in enumerate(_yearly(self.opened - timedelta(days=30), self.today), start=1):
                self.w.add(StaffCertificate, person_id=person_id, kind=kind, number=f"{prefix}{person_id:05d}{number:02d}",
                           issued_on=issued, valid_until=issued + timedelta(days=365), recorded_by_id=director,
                           recorded_at=self.at(issued, 600))
        self.w.add(StaffCertificate, person_id=person_id, kind="qualification", number=f"BYS{person_id:06d}",
                   name="保育师", issued_on=self.opened - timedelta(days=400),
                   valid_until=self.opened + timedelta(days=3650), recorded_by_id=director,
                   recorded_at=self.at(self.opened, 600))

    def add_calendar(self) -> None:
        for day, name in sorted(self.closed.items()):
            self.w.add(CalendarDay, on_date=day, kind="closed", name=name, recorded_by_id=self.staff.director,
                       recorded_at=self.at(min(day, self.today) - timedelta(days=30), 600))

    def plan_children(self) -> None:
        for index, room_plan in enumerate(self.plan.rooms):
            for _place in range(room_plan.children):
                self.stays.extend(place_chain(self.rng, index, room_plan.room_type, self.opened, self.today))
        for stay in self.stays:
            if self.rng.random() < 0.1:
                stay.care_type = "half_day"
            stay.z = (self.rng.uniform(-1.3, 1.3), self.rng.uniform(-1.2, 1.2), self.rng.uniform(-1.0, 1.0))
        # Brothers and sisters: one current child in fifteen shares its parents with a child of another room.
        current = [stay for stay in self.stays if stay.end is None]
        family_of: dict[int, int] = {}
        for k in range(max(1, len(current) // 15)):
            first = current[(k * 7) % len(current)]
            second = next((other for other in current[(k * 7 + 31) % len(current):] + current
                           if other.room_index != first.room_index and id(other) not in family_of
                           and id(first) not in family_of), None)
            if second is not None:
                family_of[id(first)] = family_of[id(second)] = -(k + 1)
        self.shared = family_of

    def add_children(self) -> None:
        director = self.staff.director
        shared_families: dict[int, Family] = {}
        for stay in self.stays:
            surname = self.rng.choice(SURNAMES)
            name = surname + self.rng.choice(CHILD_GIVEN)
            signed = stay.start - timedelta(days=self.rng.randint(3, 10))
            key = self.shared.get(id(stay))
            family = shared_families.get(key) if key is not None else None
            if family is None:
                family = self.add_family(surname, stay.start - timedelta(days=20))
                if key is not None:
                    shared_families[key] = family
            stay.family = self.families.index(family)
            stay.child_id = self.w.add(
                Child, full_name=name, sex="female" if stay.sex == "f" else "male", birth_date=stay.birth,
                allergies=self.rng.choice(("", "", "", "", "", "", "", "", "鸡蛋", "花生")),
                vaccination_status="sighted", vaccination_checked_on=signed, consent_on=signed,
                consent_guardian_id=family.mother_id, created_at=self.at(signed - timedelta(days=14), 600),
            )
            self.w.add(ChildGuardian, child_id=stay.child_id, guardian_id=family.mother_id, relation="母亲")
            self.w.add(ChildGuardian, child_id=stay.child_id, guardian_id=family.father_id, relation="父亲")
            for adult_id, adult_name, relation in family.adults:
                # Each child has its own pick-up list (the same grandparents for brothers and sisters).
                new_id = self.w.add(TrustedAdult, child_id=stay.child_id, full_name=adult_name, relation=relation,
                                    phone=self.phone(), emergency_contact=True, added_at=self.at(signed, 600))
                if adult_id == 0:
                    family.adults = [(new_id, adult_name, relation)]
            ended = stay.end is not None
            stay.enrolment_id = self.w.add(
                Enrolment, child_id=stay.child_id, room_id=self.room_ids[stay.room_index],
                status="withdrawn" if ended else "enrolled", care_type=stay.care_type, schedule_days=self.schedule,
                half_day_session="morning" if stay.care_type == "half_day" else None,
                applied_on=stay.start - timedelta(days=self.rng.randint(20, 90)), start_date=stay.start,
                end_date=stay.end, withdrawal_reason=self.leaving_reason(stay) if ended else None,
                agreement_signed_on=signed, created_by_id=director, created_at=self.at(signed - timedelta(days=10), 600),
            )
            exam_on = stay.start - timedelta(days=self.rng.randint(5, 25))
            self.w.add(HealthExam, child_id=stay.child_id, kind="entry", exam_date=exam_on,
                       institution=self.rng.choice(INSTITUTIONS), passed=True, notes="体检合格，准予入托",
                       haemoglobin_g_l=self.rng.randint(112, 135), hearing="pass", recorded_by_id=self.staff.health,
                       recorded_at=self.at(stay.start - timedelta(days=3), 600))
            self.add_contracts(stay, family, signed)

    def leaving_reason(self, stay: Stay) -> str:
        high = BANDS[self.plan.rooms[stay.room_index].room_type][1]
        return "满3岁，升入幼儿园" if high >= 36 else "满2岁，转入其他托育机构的托大班"

    def add_family(self, surname: str, since: date) -> Family:
        mother_name, father_name = self.adult_name(), surname + self.rng.choice(ADULT_GIVEN)
        created = self.at(since, 600)
        mother = self.w.add(Guardian, full_name=mother_name, phone=self.phone(), created_at=created)
        father = self.w.add(Guardian, full_name=father_name, phone=self.phone(), created_at=created)
        relation = self.rng.choice(("奶奶", "外婆"))
        family = Family(mother, father, mother_name, father_name, [(0, self.adult_name(), relation)])
        self.families.append(family)
        return family

    def add_parent_accounts(self) -> None:
        """A sign-in for the mother of every family with a child here today (families of two first)."""
        current = [stay for stay in self.stays if stay.end is None]
        sizes = Counter(stay.family for stay in current)
        number = 0
        for family_index in sorted(sizes, key=lambda index: (-sizes[index], index)):
            family = self.families[family_index]
            number += 1
            family.account_id = self.add_person(f"parent{number:03d}", family.mother_name, ["parent"],
                                                guardian_id=family.mother_id)

    def add_contracts(self, stay: Stay, family: Family, signed: date) -> None:
        """A contract a year, from the start to the last day; those over are stored as ended."""
        fee, hours = (FULL_DAY_FEE, FULL_HOURS) if stay.care_type == "full_day" else (HALF_DAY_FEE, HALF_HOURS)
        room_type = self.plan.rooms[stay.room_index].room_type.value
        start = stay.start
        last_day = stay.end or date.max
        while start <= (stay.end or self.today):
            end = min(start + timedelta(days=364), last_day)
            over = end < self.today
            ended_on = stay.end if stay.end is not None and stay.end == end and end < start + timedelta(days=364) else None
            sign_on = signed if start == stay.start else start - timedelta(days=14)
            contract_id = self.w.add(
                Contract, enrolment_id=stay.enrolment_id, child_id=stay.child_id,
                status="ended" if over else "signed", start_date=start, end_date=start + timedelta(days=364),
                care_type=stay.care_type, hours=hours, room_type=room_type, care_fee_fen=fee, care_fee_unit="month",
                meal_fee_per_day_fen=MEAL_FEE, deposit_fen=DEPOSIT, dispute_resolution=DISPUTE,
                guardian_id=family.mother_id, guardian_signed_on=sign_on, director_signed_by_id=self.staff.director,
                director_signed_on=sign_on, ended_on=ended_on, end_reason=self.leaving_reason(stay) if ended_on else "",
                created_by_id=self.staff.director, created_at=self.at(sign_on, 600),
            )
            stay.contracts.append((contract_id, start, end))
            start = start + timedelta(days=365)

    # ---- a day

    def add_roster(self, first: date, last: date) -> None:
        for day in _days(first, last):
            if not self.service_day(day):
                continue
            for index, people in self.staff.caregivers.items():
                for number, person_id in enumerate(people):
                    starts, ends = (time(7, 30), time(16, 30)) if (number + day.toordinal()) % 2 else (time(8, 30), time(17, 30))
                    self.w.add(RosterEntry, on_date=day, person_id=person_id, room_id=self.room_ids[index], starts_at=starts,
                               ends_at=ends, recorded_by_id=self.staff.director,
                               recorded_at=self.at(day - timedelta(days=10), 600))
            for person_id, (starts, ends) in ((self.staff.health, (time(8), time(17))),
                                              (self.staff.others[0], (time(7), time(18)))):
                self.w.add(RosterEntry, on_date=day, person_id=person_id, starts_at=starts, ends_at=ends,
                           recorded_by_id=self.staff.director, recorded_at=self.at(day - timedelta(days=10), 600))

    def service_day(self, day: date) -> bool:
        return str(day.isoweekday()) in self.schedule and day not in self.closed

    def add_day(self, day: date) -> None:
        if day.day == 1:
            self.w.flush()
        if not self.service_day(day):
            return
        rng = self.rng
        self.add_roster(day, day)
        for index, people in self.staff.caregivers.items():
            room_id = self.room_ids[index]
            for person_id in people:
                self.w.add(StaffShift, room_id=room_id, person_id=person_id, on_date=day,
                           clock_in_at=self.at(day, 440 + rng.randint(0, 20)),
                           clock_out_at=self.at(day, 1050 + rng.randint(0, 20)), recorded_by_id=person_id)
            for starts in (580, 930):
                self.w.add(OutdoorTime, room_id=room_id, on_date=day, started_at=self.at(day, starts),
                           ended_at=self.at(day, starts + 60), by_id=people[0])
        # Growth is measured on the first service day from the 10th of each month (monthly, DOMAIN.md).
        measuring = day.day >= 10 and day.replace(day=1) not in self.measured_months
        if measuring:
            self.measured_months.add(day.replace(day=1))
        for stay_index, stay in enumerate(self.stays):
            if stay.here_on(day):
                self.add_child_day(stay_index, stay, day, measuring)

    def add_child_day(self, stay_index: int, stay: Stay, day: date, measuring: bool) -> None:
        rng = self.rng
        room_id = self.room_ids[stay.room_index]
        carers = self.staff.caregivers[stay.room_index]
        carer = carers[rng.randrange(len(carers))]
        child_id = stay.child_id
        if rng.random() < 0.07:
            sick = rng.random() < 0.55
            self.w.add(Absence, child_id=child_id, room_id=room_id, on_date=day, reason="sick" if sick else "leave",
                       symptoms=rng.choice(SYMPTOMS) if sick else rng.choice(LEAVE), recorded_by_id=carer,
                       recorded_at=self.at(day, 510 + rng.randint(0, 40)))
            self.absent_days[(stay_index, day.replace(day=1))] += 1
            return
        family = self.families[stay.family]
        arrival = 450 + rng.randint(0, 80)
        check_at = self.at(day, arrival)
        check_id = self.w.add(MorningCheck, child_id=child_id, on_date=day, at=check_at,
                              temperature_tenths=rng.randint(362, 372), outcome="admit", by_id=self.staff.health)
        full_day = stay.care_type == "full_day"
        leaving = (990 + rng.randint(0, 60)) if full_day else (715 + rng.randint(0, 20))
        bringer = rng.random()
        brought_by = (f"{family.mother_name} (母亲)" if bringer < 0.5 else f"{family.father_name} (父亲)" if bringer < 0.8
                      else f"{family.adults[0][1]} ({family.adults[0][2]})")
        check_in_at = check_at + timedelta(minutes=2)
        attendance_id = self.w.add(
            Attendance, child_id=child_id, room_id=room_id, on_date=day, check_in_at=check_in_at, brought_by=brought_by,
            checked_in_by_id=carer, morning_check_id=check_id, check_out_at=self.at(day, leaving),
            picked_up_by_guardian_id=family.mother_id if rng.random() < 0.6 else family.father_id, checked_out_by_id=carer,
        )
        self.audit(carer, "checked_in", "attendance", attendance_id, child_id, check_in_at, None)
        self.add_log(stay, day, room_id, carers, arrival, full_day)
        if full_day:
            self.w.add(MiddayCheck, child_id=child_id, room_id=room_id, on_date=day, at=self.at(day, 880 + rng.randint(0, 15)),
                       temperature_tenths=rng.randint(362, 371), spirits="good", skin="normal", outcome="fine", by_id=carer)
        if measuring:
            self.add_measurement(stay, day)
        self.add_medicine(stay, day, room_id, carers, family)
        if rng.random() < 0.0015:
            self.add_incident(stay, day, room_id, carer)

    def add_log(self, stay: Stay, day: date, room_id: int, carers: list[int], arrival: int, full_day: bool) -> None:
        """About 20 entries of a full day (8 of a half day), in time order, as the tablet records them."""
        rng = self.rng
        young = (day - stay.birth).days < 548  # under 18 months: bottles, not cups
        entries: list[tuple[int, str, dict]] = [
            (max(arrival + 5, 510), "meal", {"meal": "breakfast", "amount": _amount(rng)}),
            (arrival + 12, "mood", {"mood": rng.choice(("happy", "happy", "calm", "calm", "tired", "upset"))}),
            (585, "bottle", {"millilitres": rng.randint(150, 210) if young else rng.randint(80, 150)}),
            (600, "meal", {"meal": "morning_snack", "amount": _amount(rng)}),
            (630, "nappy", {"nappy": rng.choice(("wet", "wet", "dirty", "wet_and_dirty")) if young else "potty"}),
            (645, "activity", {"text": rng.choice(ACTIVITIES)}),
            (690, "meal", {"meal": "lunch", "amount": _amount(rng)}),
            (710, "nappy", {"nappy": rng.choice(("wet", "dry")) if young else "potty"}),
        ]
        nap = None
        if full_day:
            nap_start = 730 + rng.randint(0, 15)
            nap_end = nap_start + rng.randint(100, 150)
            nap = (nap_start, nap_end)
            entries += [
                (nap_end + 20, "nappy", {"nappy": rng.choice(("wet", "dry")) if young else "potty"}),
                (nap_end + 30, "bottle", {"millilitres": rng.randint(100, 200)}),
                (910, "meal", {"meal": "afternoon_snack", "amount": _amount(rng)}),
                (970, "nappy", {"nappy": rng.choice(("wet", "dirty")) if young else "potty"}),
            ]
            if rng.random() < 0.2:
                entries.append((960, "note", {"text": rng.choice(NOTES)}))
        entries.sort(key=lambda entry: entry[0])
        child_id = stay.child_id
        for minute, kind, fields in entries:
            if nap is not None and minute > nap[0]:
                self.add_nap(stay, day, room_id, carers, nap)
                nap = None
            self.add_entry(child_id, room_id, day, kind, minute, carers[rng.randrange(len(carers))], fields)
        if nap is not None:
            self.add_nap(stay, day, room_id, carers, nap)

    def add_nap(self, stay: Stay, day: date, room_id: int, carers: list[int], nap: tuple[int, int]) -> None:
        start, end = nap
        carer = carers[self.rng.randrange(len(carers))]
        nap_id = self.add_entry(stay.child_id, room_id, day, "nap", start, carer,
                                {"started_at": self.at(day, start), "ended_at": self.at(day, end)})
        for minute in range(start + 15, end, 15):  # a sleep check at least every 15 minutes (DOMAIN.md)
            self.add_entry(stay.child_id, room_id, day, "sleep_check", minute, carer, {"nap_id": nap_id})

    def add_entry(self, child_id: int, room_id: int, day: date, kind: str, minute: int, by_id: int, fields: dict) -> int:
        at = self.at(day, minute)
        entry_id = self.w.add(LogEntry, child_id=child_id, room_id=room_id, on_date=day, kind=kind, at=at, by_id=by_id,
                              recorded_at=at, **fields)
        if self.plan.audit:
            after = {"id": entry_id, "child_id": child_id, "room_id": room_id, "on_date": day.isoformat(), "kind": kind,
                     "at": at.isoformat(), "by_id": by_id, "recorded_at": at.isoformat(), "replaced": False,
                     **{key: value.isoformat() if isinstance(value, datetime) else value for key, value in fields.items()}}
            self.audit(by_id, "log_entry_recorded", "log_entry", entry_id, child_id, at, after)
        return entry_id

    def add_measurement(self, stay: Stay, day: date) -> None:
        days = age_days(stay.birth, day)
        sex = Sex.female if stay.sex == "f" else Sex.male
        length = value_at_sd(Indicator.length_for_age, sex, days, stay.z[0])
        weight = value_at_sd(Indicator.weight_for_age, sex, days, stay.z[1])
        head = value_at_sd(Indicator.head_for_age, sex, days, stay.z[2])
        if length is None or weight is None:
            return
        self.w.add(Measurement, child_id=stay.child_id, on_date=day, length_mm=round(length * 10),
                   position=table_position(days).value, weight_g=round(weight * 100) * 10,
                   head_mm=round(head * 10) if head is not None and head_expected(stay.birth, day) else None,
                   by_id=self.staff.health, recorded_at=self.at(day, 620))

    def add_medicine(self, stay: Stay, day: date, room_id: int, carers: list[int], family: Family) -> None:
        """A course of medicine now and then (家长委托喂药): signed on its first day, a dose at each time."""
        rng = self.rng
        course = self.medication.get(stay.child_id)
        if course is not None and course[1] < day:
            course = self.medication.pop(stay.child_id)
            course = None
        if course is None and rng.random() < 0.004:
            drug, dose, unit = rng.choice(DRUGS)
            times = rng.choice(("10:00", "10:00,14:30"))
            last = day + timedelta(days=rng.randint(1, 4))
            authorisation = self.w.add(
                MedicationAuthorisation, child_id=stay.child_id, drug_name=drug, dose_hundredths=dose, dose_unit=unit,
                route="oral", times=times, start_date=day, end_date=last, prescription_source="prescription",
                prescription_reference=f"市儿童医院 处方 {day:%Y%m%d}-{stay.child_id % 100:02d}",
                signed_by_guardian_id=family.mother_id, signed_on=day, signed_how="paper_at_desk",
                recorded_by_id=self.staff.health, recorded_at=self.at(day, 480),
            )
            course = self.medication[stay.child_id] = (authorisation, last, times, dose)
        if course is None or stay.care_type != "full_day":
            return
        authorisation, _last, times, dose = course
        for slot in times.split(","):
            slot_time = time.fromisoformat(slot)
            given = self.at(day, slot_time.hour * 60 + slot_time.minute + rng.randint(-10, 15))
            self.w.add(MedicationDose, authorisation_id=authorisation, child_id=stay.child_id, room_id=room_id, on_date=day,
                       slot=slot_time, outcome="given", at=given, amount_hundredths=dose, given_by_id=carers[0],
                       checked_by_id=self.staff.health, recorded_at=given)

    def add_incident(self, stay: Stay, day: date, room_id: int, carer: int) -> None:
        """A small fall, dealt with and closed by the director the next days."""
        occurred = self.at(day, 600 + self.rng.randint(0, 300))
        incident_id = self.w.add(
            Incident, child_id=stay.child_id, room_id=room_id, category="fall", occurred_at=occurred, on_date=day,
            place="户外滑梯", body_parts=["left_leg"], description="从滑梯底部滑出时跌倒，左膝擦伤。",
            first_aid="清洗伤口，碘伏消毒，贴创可贴。", cause="滑梯出口处地垫移位。", corrective_action="地垫已固定，每天晨间检查。",
            recorded_by_id=carer, recorded_at=occurred + timedelta(minutes=15),
            guardian_notified_at=occurred + timedelta(minutes=20), guardian_notified_how="电话通知母亲",
            guardian_notified_by_id=carer, signed_off_by_id=self.staff.director,
            signed_off_at=occurred + timedelta(days=1), closed_at=occurred + timedelta(days=1),
            closed_by_id=self.staff.director,
        )
        self.w.add(IncidentStaff, incident_id=incident_id, person_id=carer)

    # ---- over the months

    def add_exams(self) -> None:
        """定期体检 every 3 months from 6 to 12 months of age, every 6 months from 12; screenings yearly."""
        rng = self.rng
        for stay in self.stays:
            last_screening = stay.start
            on = stay.start
            while True:
                months = (on - stay.birth).days / 30.44
                on = on + timedelta(days=91 if months < 12 else 182)
                if on >= self.today or (stay.end is not None and on > stay.end):
                    break
                screening = (on - last_screening).days >= 365
                if screening:
                    last_screening = on
                self.w.add(HealthExam, child_id=stay.child_id, kind="periodic", exam_date=on,
                           institution=rng.choice(INSTITUTIONS), passed=True,
                           haemoglobin_g_l=rng.randint(112, 135) if screening else None,
                           hearing="pass" if screening else None, recorded_by_id=self.staff.health,
                           recorded_at=self.at(on + timedelta(days=2), 600))

    def add_bills(self) -> None:
        """Monthly bills issued on the 25th for the next month (or on the start), numbered in issue order; paid."""
        rng = self.rng
        issued: list[tuple[datetime, int, Stay, date, date]] = []
        for stay_index, stay in enumerate(self.stays):
            month = stay.start.replace(day=1)
            while month <= self.today and (stay.end is None or month <= stay.end):
                period_start = max(month, stay.start)
                period_end = _month_end(month) if stay.end is None else min(_month_end(month), stay.end)
                issue_day = max(stay.start - timedelta(days=3), _previous_month(month).replace(day=25))
                if issue_day <= self.today:
                    issued.append((self.at(issue_day, 600 + stay_index % 300), stay_index, stay, period_start, period_end))
                month = _next_month(month)
        issued.sort(key=lambda item: (item[0], item[1]))
        sequences: Counter[int] = Counter()
        receipts: Counter[int] = Counter()
        first_bill: dict[int, tuple[int, str, int]] = {}
        for issued_at, stay_index, stay, period_start, period_end in issued:
            year = issued_at.year
            sequences[year] += 1
            number = f"{year}-{sequences[year]:06d}"
            contract_id = next(cid for cid, start, end in stay.contracts if start <= period_start <= end)
            fee = FULL_DAY_FEE if stay.care_type == "full_day" else HALF_DAY_FEE
            service = [day for day in _days(period_start, period_end) if self.service_day(day)]
            month_days = [day for day in _days(period_start.replace(day=1), _month_end(period_start)) if self.service_day(day)]
            care = fee if len(service) == len(month_days) else round(fee * len(service) / max(1, len(month_days)))
            lines = [("care_fee", f"托育费 {period_start:%Y-%m}", 1, care, care),
                     ("meal_fee", f"伙食费 {period_start:%Y-%m}", len(service), MEAL_FEE, MEAL_FEE * len(service))]
            absent = self.absent_days.get((stay_index, _previous_month(period_start.replace(day=1))), 0)
            if absent and stay.contracts[0][1] < period_start:
                lines.append(("meal_credit", "上月缺勤伙食费退还", absent, -MEAL_FEE, -MEAL_FEE * absent))
            if stay_index not in first_bill:
                lines.append(("deposit", "押金", 1, DEPOSIT, DEPOSIT))
            total = sum(line[4] for line in lines)
            due = max(period_start, period_start.replace(day=5))
            bill_id = self.w.add(Bill, year=year, sequence=sequences[year], number=number, contract_id=contract_id,
                                 child_id=stay.child_id, period_start=period_start, period_end=period_end, total_fen=total,
                                 due_on=due, issued_at=issued_at, issued_by_id=self.staff.director)
            first_bill.setdefault(stay_index, (bill_id, number, contract_id))
            for position, (kind, description, quantity, unit, amount) in enumerate(lines, start=1):
                self.w.add(BillLine, bill_id=bill_id, position=position, kind=kind, description=description,
                           quantity=quantity, unit_fen=unit, amount_fen=amount)
            paid_on = due - timedelta(days=rng.randint(0, 8))
            if paid_on < self.today and (due < self.today or rng.random() < 0.7):
                receipts[paid_on.year] += 1
                self.w.add(Payment, contract_id=contract_id, child_id=stay.child_id, bill_id=bill_id, amount_fen=total,
                           method=rng.choice(("wechat_pay", "wechat_pay", "alipay", "bank_transfer")),
                           reference=f"{paid_on:%Y%m%d}{bill_id:010d}", paid_on=paid_on,
                           receipt_number=f"R{paid_on.year}-{receipts[paid_on.year]:06d}", received_by_id=self.staff.director,
                           recorded_at=self.at(paid_on, 700))
        for year, last in sequences.items():
            self.w.add(BillCounter, series="bill", year=year, last_number=last)
        for year, last in receipts.items():
            self.w.add(BillCounter, series="receipt", year=year, last_number=last)
        for stay_index, stay in enumerate(self.stays):
            if stay.end is None or stay_index not in first_bill:
                continue
            bill_id, number, _contract = first_bill[stay_index]
            contract_id = stay.contracts[-1][0]
            requested = stay.end + timedelta(days=1)
            if requested >= self.today:
                continue
            paid = requested + timedelta(days=rng.randint(1, 10))
            self.w.add(Refund, contract_id=contract_id, child_id=stay.child_id, kind="deposit", period_start=stay.end,
                       period_end=stay.end, amount_fen=DEPOSIT,
                       trace=[{"message": "Deposit on bill {bill}: {billed_fen} billed, {paid_fen} paid",
                               "params": {"bill": number, "billed_fen": DEPOSIT, "paid_fen": DEPOSIT}, "amount_fen": DEPOSIT}],
                       requested_on=requested, due_on=requested + timedelta(days=15), recorded_by_id=self.staff.director,
                       recorded_at=self.at(requested, 600), paid_on=paid if paid < self.today else None,
                       paid_by_id=self.staff.director if paid < self.today else None,
                       method="bank_transfer" if paid < self.today else None)


def _amount(rng: random.Random) -> str:
    return rng.choices(("all", "most", "some", "none"), weights=(55, 30, 12, 3))[0]


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _yearly(first: date, until: date) -> list[date]:
    out, day = [], first
    while day <= until:
        out.append(day)
        day += timedelta(days=365)
    return out


def _month_end(month: date) -> date:
    return _next_month(month.replace(day=1)) - timedelta(days=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


# ---------------------------------------------------------------- today


@dataclass(frozen=True)
class Today:
    """What `prepare_today` laid out: the rooms whose children are in, and those whose children are to arrive."""

    present_room_ids: list[int]
    arriving_room_ids: list[int]


BENCH_TOKEN = "bench-"  # form tokens of the entries run.py posts: removed when today is laid out again


def prepare_today(engine: Engine, today: date, rooms: tuple[RoomPlan, ...] = NURSERY, now: datetime | None = None,
                  seed: int = 7) -> Today:
    """Lay out today afresh: staff clocked in, morning checks, arrivals with their morning's log in the rooms not
    marked arriving, and nobody in yet in the others. Earlier runs' rows of today are removed first."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    zone = get_settings().zone
    midnight = datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC)
    # An arrival early enough for a morning's log, never in the future (the server's clock is the wall clock).
    arrival = max(midnight, min(datetime.combine(today, time(7, 40), tzinfo=zone).astimezone(UTC), now - timedelta(hours=2)))
    span = max(60.0, (now - timedelta(minutes=2) - arrival).total_seconds())
    tables = metadata.tables
    with engine.begin() as connection:
        room_rows = connection.execute(select(tables["room"].c.id, tables["room"].c.name).order_by(tables["room"].c.id)).all()
        arriving_names = {plan.name for plan in rooms if plan.arriving}
        arriving = [room_id for room_id, name in room_rows if name in arriving_names]
        present = [room_id for room_id, _name in room_rows if room_id not in arriving]
        for name in ("log_entry", "midday_check", "staff_shift", "absence", "medication_dose"):
            connection.execute(delete(tables[name]).where(tables[name].c.on_date == today))
        connection.execute(tables["attendance"].delete().where(tables["attendance"].c.on_date == today))
        connection.execute(delete(tables["morning_check"]).where(tables["morning_check"].c.on_date == today))
        connection.execute(delete(tables["log_entry"]).where(tables["log_entry"].c.form_token.like(BENCH_TOKEN + "%")))
        enrolment = tables["enrolment"]
        children = connection.execute(
            select(enrolment.c.child_id, enrolment.c.room_id, enrolment.c.care_type)
            .where(enrolment.c.status == "enrolled", enrolment.c.start_date <= today).order_by(enrolment.c.child_id)
        ).all()
        carers = defaultdict(list)
        for room_id, person_id in connection.execute(select(tables["room_caregiver"].c.room_id, tables["room_caregiver"].c.person_id)
                                                    .order_by(tables["room_caregiver"].c.id)):
            carers[room_id].append(person_id)
        health = connection.execute(
            select(tables["person_role"].c.person_id).where(tables["person_role"].c.role == "health")
        ).scalar()
        mothers = dict(connection.execute(
            select(tables["child_guardian"].c.child_id, tables["child_guardian"].c.guardian_id)
            .where(tables["child_guardian"].c.relation == "母亲")
        ).all())
        guardian_names = dict(connection.execute(select(tables["guardian"].c.id, tables["guardian"].c.full_name)).all())
        shifts = [dict(room_id=room_id, person_id=person_id, on_date=today, clock_in_at=arrival - timedelta(minutes=15),
                       recorded_by_id=person_id) for room_id, people in carers.items() for person_id in people]
        if shifts:
            connection.execute(tables["staff_shift"].insert(), shifts)
        checks, arrivals, entries = [], [], []
        for child_id, room_id, _care in children:
            at = arrival + timedelta(seconds=rng.randint(0, 20 * 60)) if room_id in present else arrival
            checks.append(dict(child_id=child_id, on_date=today, at=min(at, now - timedelta(minutes=1)),
                               temperature_tenths=rng.randint(362, 371), outcome="admit", by_id=health))
        connection.execute(tables["morning_check"].insert(), checks)
        check_ids = dict(connection.execute(
            select(tables["morning_check"].c.child_id, tables["morning_check"].c.id).where(tables["morning_check"].c.on_date == today)
        ).all())
        for child_id, room_id, _care in children:
            if room_id not in present or not carers[room_id]:
                continue
            check_in = arrival + timedelta(seconds=rng.randint(0, 20 * 60))
            check_in = min(check_in, now - timedelta(minutes=1))
            arrivals.append(dict(child_id=child_id, room_id=room_id, on_date=today, check_in_at=check_in,
                                 brought_by=f"{guardian_names.get(mothers.get(child_id), '妈妈')} (母亲)",
                                 checked_in_by_id=carers[room_id][0], morning_check_id=check_ids.get(child_id)))
            # The morning so far: breakfast, a drink, a nappy, the mood, spread between arrival and now.
            for step, (kind, fields) in enumerate((("meal", {"meal": "breakfast", "amount": "all"}),
                                                   ("mood", {"mood": "happy"}),
                                                   ("bottle", {"millilitres": 120}),
                                                   ("nappy", {"nappy": "wet"}))):
                at = check_in + timedelta(seconds=span * (step + 1) / 6)
                at = min(at, now - timedelta(seconds=30))
                entries.append({**_entry_defaults(), "child_id": child_id, "room_id": room_id, "on_date": today,
                                "kind": kind, "at": at, "by_id": carers[room_id][0], "recorded_at": at, **fields})
        if arrivals:
            connection.execute(tables["attendance"].insert(), arrivals)
        if entries:
            connection.execute(tables["log_entry"].insert(), entries)
    return Today(present, arriving)


def _entry_defaults() -> dict:
    return {"meal": None, "amount": None, "millilitres": None, "started_at": None, "ended_at": None, "nap_id": None,
            "nappy": None, "mood": None, "text": "", "photo_id": None, "form_token": None, "replaces_id": None,
            "replaced": False, "correction_reason": None, "voided_at": None, "voided_by_id": None, "void_reason": None}


# ---------------------------------------------------------------- entry points


def generate(engine: Engine, plan: Plan = Plan(), today: date | None = None) -> Report:
    """Write the nursery into `engine`'s migrated, empty schema; then lay out today."""
    from nursery_ops.clock import local_today

    today = today or local_today()
    started = wallclock.perf_counter()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Generation only: a crash means generating again, so the fsync per chunk can go.
            # (on the driver's connection: SQLAlchemy would open a transaction first, where SQLite refuses it)
            connection.connection.dbapi_connection.execute("PRAGMA synchronous=OFF")
        generator = Generator(connection, plan, today)
        generator.run()
        generator.add_parent_accounts()
        generator.w.flush()
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection)
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.commit()
            connection.exec_driver_sql("ANALYZE")
        connection.commit()
        counts = dict(generator.w.counts)
    prepare_today(engine, today, plan.rooms)
    return Report(counts, wallclock.perf_counter() - started, today, generator.opened)


def _advance_sequences(connection: Connection) -> None:
    """Ids were given by the generator: PostgreSQL's sequences must start after them."""
    with connection.begin():
        for table in metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                ))


def fresh_database(url: str) -> None:
    """An empty, migrated database at `url`: a SQLite file is replaced; a PostgreSQL database is emptied only when
    it is empty already or a benchmark database (it holds the MARKER audit entry)."""
    from nursery_ops.cli import migrate

    if is_sqlite(url):
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        engine = build_engine(url)
        try:
            with engine.begin() as connection:
                if inspect(connection).has_table("audit_entry"):
                    marked = connection.execute(
                        select(func.count()).select_from(AuditEntry.__table__).where(AuditEntry.__table__.c.action == MARKER)
                    ).scalar()
                    people = connection.execute(select(func.count()).select_from(Person.__table__)).scalar()
                    if people and not marked:
                        raise SystemExit(f"refusing to empty {make_url(url).render_as_string(hide_password=True)}: "
                                         "it has accounts and is not a benchmark database")
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        finally:
            engine.dispose()
    migrate(url)


def default_sqlite_url(label: str) -> str:
    return f"sqlite:///{WORK_DIR / f'nursery-{label}.db'}"


def history_days(years: float | None, months: float | None) -> int:
    if months is not None:
        return max(1, round(months * 30.44))
    return max(1, round((years if years is not None else 3) * 365))


def print_report(report: Report, out=sys.stdout) -> None:
    width = max(map(len, report.counts)) if report.counts else 10
    print(f"history {report.opened} to {report.today - timedelta(days=1)}; today {report.today}", file=out)
    for name, count in sorted(report.counts.items(), key=lambda item: -item[1]):
        print(f"  {name:<{width}} {count:>10,}", file=out)
    print(f"  {'total':<{width}} {sum(report.counts.values()):>10,} rows in {report.seconds:.1f} s", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in bench/work/")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--years", type=float, help="history before today (default 3)")
    span.add_argument("--months", type=float, help="history before today, in months")
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--no-audit", action="store_true", help="leave out the audit entries of check-ins and log entries")
    parser.add_argument("--json", type=Path, help="also write the row counts and seconds here")
    args = parser.parse_args(argv)
    days = history_days(args.years, args.months)
    url = args.database_url or default_sqlite_url(f"{days}d")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = wallclock.perf_counter()
    fresh_database(url)
    migrated = wallclock.perf_counter() - started
    engine = build_engine(url)
    try:
        report = generate(engine, Plan(history_days=days, seed=args.seed, audit=not args.no_audit))
    finally:
        engine.dispose()
    print(f"{make_url(url).render_as_string(hide_password=True)} (migrated in {migrated:.1f} s)")
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps({"url": make_url(url).render_as_string(hide_password=True), "history_days": days,
                                         "counts": report.counts, "seconds": round(report.seconds, 2),
                                         "migrate_seconds": round(migrated, 2)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
