"""The demo nursery (示范托育机构): rooms, children, families and staff, dated relative to today.

Loaded once by `python -m nursery_ops demo` (and `make run`); every demo sign-in
uses the password `nursery-demo`. Ages are chosen so that every enrolled child
fits its room for weeks to come, except three children who are 3–7 weeks from a
band change, so the director's 60-day warning has something to show. Three
admissions are deliberately unfinished so the checklists and the health page
show missing items. Staff have tablet PINs and health certificates (one run out), and
小月亮 托小班 has a morning under way today: two staff clocked in, four arrivals with
morning checks and breakfast, one child off sick and one absent for an unknown reason.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from nursery_ops import audit
from nursery_ops.attendance.models import (
    Absence,
    AbsenceReason,
    Attendance,
    CheckOutcome,
    MorningCheck,
)
from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Person, Role
from nursery_ops.auth.service import hash_password, set_roles
from nursery_ops.children.models import (
    Child,
    ChildGuardian,
    Guardian,
    Sex,
    TrustedAdult,
    VaccinationStatus,
)
from nursery_ops.children.rules import date_at_months, last_day_of_month
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts.models import (
    CalendarDay,
    CalendarDayKind,
    Contract,
    ContractStatus,
    FeeUnit,
)
from nursery_ops.dailylog.models import Amount, EntryKind, LogEntry, Meal
from nursery_ops.enrolment.models import (
    CareType,
    Enrolment,
    EnrolmentStatus,
    HalfDaySession,
    RoomTransfer,
)
from nursery_ops.committee.demo import add_demo_committee
from nursery_ops.disclosure.demo import add_demo_disclosure
from nursery_ops.family.demo import add_demo_family_day
from nursery_ops.growth.demo import add_demo_growth
from nursery_ops.health.models import (
    ExamKind,
    HealthExam,
    HearingResult,
    ReturnCertificate,
)
from nursery_ops.incidents.models import Incident, IncidentCategory
from nursery_ops.medication.models import (
    DoseUnit,
    MedicationAuthorisation,
    MedicationRoute,
    PrescriptionSource,
    SignedHow,
)
from nursery_ops.policy import load_policy
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType
from nursery_ops.rooms.rules import room_months, room_type_cap
from nursery_ops.rooms.tablet import hash_pin
from nursery_ops.settings import get_settings
from nursery_ops.staff.models import (
    CertificateKind,
    Job,
    StaffCertificate,
    RosterEntry,
    StaffProfile,
    StaffShift,
    StaffTraining,
    TabletPin,
    TrainingKind,
)

DEMO_PASSWORD = "nursery-demo"
AUDIT_ACTION = "demo_loaded"

ROOMS = (
    ("infant", "小星星 乳儿班", RoomType.infant),
    ("toddler", "小月亮 托小班", RoomType.toddler),
    ("older", "小太阳 托大班", RoomType.older),
    ("mixed", "彩虹 混合班", RoomType.mixed),
)

# username, full name, roles, room key (caregivers only)
STAFF = (
    ("director", "李园长", {Role.director}, None),
    ("caregiver", "张老师", {Role.caregiver}, "toddler"),
    ("caregiver2", "王老师", {Role.caregiver}, "infant"),
    ("caregiver3", "黄老师", {Role.caregiver}, "infant"),
    ("caregiver4", "何老师", {Role.caregiver}, "infant"),
    ("caregiver5", "陈老师", {Role.caregiver}, "toddler"),
    ("caregiver6", "杨老师", {Role.caregiver}, "toddler"),
    ("caregiver7", "赵老师", {Role.caregiver}, "older"),
    ("caregiver8", "吴老师", {Role.caregiver}, "older"),
    ("caregiver9", "徐老师", {Role.caregiver}, "older"),
    ("caregiver10", "孙老师", {Role.caregiver}, "mixed"),
    ("caregiver11", "马老师", {Role.caregiver}, "mixed"),
    ("health", "刘保健", {Role.health}, None),
)


# Room tablet PINs of the demo staff (README): caregiverN unlocks with N written twice, e.g. 0202.
DEMO_PINS = {"director": "9999", "caregiver": "1111", "health": "3333"}
# One caregiver's health certificate has run out: the room view shows she does not count toward the ratio.
EXPIRED_CERTIFICATE = "caregiver6"


def demo_pin(username: str) -> str:
    if username in DEMO_PINS:
        return DEMO_PINS[username]
    number = int(username.removeprefix("caregiver"))
    return f"{number:02d}{number:02d}"


def _add_tablet_pins_and_certificates(session: Session, people: dict, today: date, director) -> None:
    """A PIN for each; the certificates to work with children (DOMAIN.md "Staff"), the director's and the
    health officer's too. Only one caregiver's health certificate has run out."""
    for username, person in people.items():
        session.add(TabletPin(person_id=person.id, pin_hash=hash_pin(demo_pin(username)), set_by_id=director.id))
        issued = today - timedelta(days=375 if username == EXPIRED_CERTIFICATE else 200)
        session.add(
            StaffCertificate(
                person_id=person.id,
                kind=CertificateKind.health,
                number=f"JKZ{person.id:06d}",
                issued_on=issued,
                valid_until=issued + timedelta(days=365),
                recorded_by_id=director.id,
            )
        )
        session.add_all(
            StaffCertificate(
                person_id=person.id, kind=kind, number=f"{prefix}{person.id:06d}", issued_on=today - timedelta(days=200),
                valid_until=today + timedelta(days=165), recorded_by_id=director.id,
            )
            for kind, prefix in ((CertificateKind.no_criminal_record, "WFZ"), (CertificateKind.background_check, "BJ"))
        )


# On the staff register without a sign-in: they work with children about, so they hold the certificates too.
REGISTER_ONLY = (("王保安", Job.security, "13900000021"), ("赵师傅", Job.kitchen, "13900000022"))


def _add_staff_without_sign_in(session: Session, today: date, director) -> None:
    for full_name, job, phone in REGISTER_ONLY:
        person = Person(username=None, full_name=full_name, phone=phone)
        session.add(person)
        session.flush()
        session.add(StaffProfile(person_id=person.id, job=job))
        session.add_all(
            StaffCertificate(
                person_id=person.id, kind=kind, number=f"{prefix}{person.id:06d}", issued_on=today - timedelta(days=100),
                valid_until=today + timedelta(days=265), recorded_by_id=director.id,
            )
            for kind, prefix in (
                (CertificateKind.health, "JKZ"), (CertificateKind.no_criminal_record, "WFZ"), (CertificateKind.background_check, "BJ"),
            )
        )


# Today in 小月亮 托小班, so the room tablet has a morning to show: who arrived when (with the
# morning check's temperature in tenths), and who is off.
TODAY_ROOM = "toddler"
TODAY_ON_DUTY = ("caregiver", EXPIRED_CERTIFICATE)  # the second one is on duty but not counted
TODAY_ARRIVALS = (("孙一诺", (8, 5), 365), ("孙一然", (8, 6), 366), ("高子睿", (8, 12), 368), ("郑雨萱", (8, 20), 364))
TODAY_BREAKFAST = (("孙一诺", Amount.all), ("孙一然", Amount.most), ("高子睿", Amount.some))
TODAY_MEDICINE = "孙一然"  # a course of medicine signed by the mother this morning
TODAY_ABSENT = (("梁欣怡", AbsenceReason.sick, "发烧 38.2 °C，咳嗽"), ("谢嘉懿", AbsenceReason.unknown, ""))


@dataclass(frozen=True)
class DemoChild:
    """One child of the roster; `months` and `days` set the age today (months + days old)."""

    name: str
    sex: Sex
    room: str | None  # room key; None on the waitlist
    months: int
    days: int
    care: CareType = CareType.full_day
    schedule: str = "12345"
    half_day: HalfDaySession | None = None
    family: str | None = None  # children sharing a family key share their parents
    allergies: str = ""
    special_needs: str = ""
    feeding_needs: str = ""
    feeding_statement: bool = True
    # complete | vaccination_overdue | vaccination_pending | starting_soon | no_consent | exam_expired
    admission: str = "complete"
    status: EnrolmentStatus = EnrolmentStatus.enrolled
    transferred_from: str | None = None


F, M = Sex.female, Sex.male
full, half, hourly, temporary = CareType.full_day, CareType.half_day, CareType.hourly, CareType.temporary
morning, afternoon = HalfDaySession.morning, HalfDaySession.afternoon

# Normal ages stay at least ~70 days from the room's upper bound (no warning);
# (high - 1 months, 5 days) is ~3–4 weeks away and (high - 2 months, 15 days) ~6–7 weeks.
ROSTER = (
    # 小星星 乳儿班 [6, 12) — 7 of 10
    DemoChild("周子墨", M, "infant", 8, 3, family="zhou"),
    DemoChild("林可欣", F, "infant", 9, 12, allergies="牛奶蛋白",
              feeding_needs="牛奶蛋白过敏：只喝深度水解配方奶（家长自带），辅食不含乳制品"),
    DemoChild("黄梓涵", F, "infant", 7, 18, care=half, half_day=morning),
    DemoChild("何宇航", M, "infant", 6, 20, special_needs="早产（34周），注意保暖，午睡时多巡视"),
    DemoChild("郭诗琪", F, "infant", 8, 25, care=hourly, schedule="24"),
    DemoChild("马浩然", M, "infant", 6, 12, admission="vaccination_pending"),
    DemoChild("罗思彤", F, "infant", 11, 5),  # turns 12 months in ~3–4 weeks
    # 小月亮 托小班 [12, 24) — 13 of 15
    DemoChild("孙一诺", F, "toddler", 17, 8, family="sun"),
    DemoChild("孙一然", M, "toddler", 17, 8, family="sun"),
    DemoChild("高子睿", M, "toddler", 19, 2, allergies="花生"),
    DemoChild("梁欣怡", F, "toddler", 14, 9, transferred_from="infant"),
    DemoChild("宋俊熙", M, "toddler", 15, 20, admission="vaccination_overdue"),
    DemoChild("郑雨萱", F, "toddler", 20, 4),
    DemoChild("谢嘉懿", F, "toddler", 13, 11),
    DemoChild("韩沐阳", M, "toddler", 16, 6, care=half, half_day=morning),
    DemoChild("唐若曦", F, "toddler", 12, 14, admission="exam_expired"),
    DemoChild("冯博文", M, "toddler", 18, 17, care=hourly, schedule="135"),
    DemoChild("于佳琪", F, "toddler", 21, 1, care=half, schedule="135", half_day=afternoon),
    DemoChild("董子豪", M, "toddler", 14, 28, care=temporary, schedule="3"),
    DemoChild("萧语桐", F, "toddler", 22, 15),  # turns 24 months in ~6–7 weeks
    # 小太阳 托大班 [24, 36) — 15 of 20
    DemoChild("周雨桐", F, "older", 30, 10, family="zhou"),
    DemoChild("王梓轩", M, "older", 25, 3),
    DemoChild("李思涵", F, "older", 27, 16, allergies="鸡蛋", feeding_needs="不吃鸡蛋及含蛋制品，以豆制品替代"),
    DemoChild("张浩宇", M, "older", 33, 2),
    DemoChild("刘欣妍", F, "older", 24, 19),
    DemoChild("陈俊杰", M, "older", 29, 7, allergies="花生"),
    DemoChild("杨紫萱", F, "older", 31, 22),
    DemoChild("赵宇泽", M, "older", 26, 13),
    DemoChild("黄一鸣", M, "older", 28, 1),
    DemoChild("吴雨欣", F, "older", 32, 9, care=half, half_day=morning),
    DemoChild("徐子涵", M, "older", 25, 24),
    DemoChild("朱可馨", F, "older", 30, 18),
    DemoChild("胡天佑", M, "older", 27, 5, care=hourly, schedule="25"),
    DemoChild("林晨曦", F, "older", 29, 27),
    DemoChild("曹文博", M, "older", 35, 5),  # turns 36 months (kindergarten) in ~3–4 weeks
    # 彩虹 混合班 [18, 36) — 9 of 18
    DemoChild("彭雅琪", F, "mixed", 26, 8, family="peng"),
    DemoChild("曾子健", M, "mixed", 31, 4, special_needs="湿疹：避免羊毛衣物，出汗后及时擦干"),
    DemoChild("蒋欣然", F, "mixed", 28, 15, feeding_needs="素食（家庭饮食习惯），可吃蛋奶",
              feeding_statement=False, admission="no_consent"),
    DemoChild("蔡明轩", M, "mixed", 20, 11, allergies="鸡蛋"),
    DemoChild("贾诗涵", F, "mixed", 33, 6, care=half, schedule="1234", half_day=afternoon),
    DemoChild("丁皓轩", M, "mixed", 19, 21, care=half, schedule="24", half_day=morning),
    DemoChild("魏梦琪", F, "mixed", 24, 14, care=temporary, schedule="5"),
    DemoChild("薛子昂", M, "mixed", 32, 19),
    DemoChild("叶沐晴", F, "mixed", 21, 2, admission="starting_soon"),
    # 候补 waitlist
    DemoChild("潘一帆", M, None, 7, 9, status=EnrolmentStatus.waitlisted),
    DemoChild("杜若溪", F, None, 16, 3, care=half, half_day=morning, status=EnrolmentStatus.waitlisted),
    DemoChild("戴子宸", M, None, 27, 20, status=EnrolmentStatus.waitlisted),
    # 已退托 withdrawn
    DemoChild("夏语嫣", F, "older", 29, 11, status=EnrolmentStatus.withdrawn),
)

WAITLIST_APPLIED_DAYS_AGO = {"潘一帆": 58, "杜若溪": 33, "戴子宸": 12}
FATHER_GIVEN = ("建国", "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "鹏", "斌", "浩", "凯", "亮", "峰", "鑫", "辉", "波", "刚", "昊", "宁", "晨")
MOTHER_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁")
MOTHER_GIVEN = ("静", "丽", "敏", "燕", "娟", "艳", "芳", "婷", "雪", "颖", "琳", "洁", "倩", "慧", "霞", "萍", "玲", "莉", "佳", "蕾", "晶", "璐")
GRANDMOTHER_GIVEN = ("秀英", "桂兰", "玉珍", "淑芬", "凤英", "秀兰", "桂英", "玉兰", "淑珍", "金凤")
GRANDFATHER_GIVEN = ("国强", "建华", "志明", "德明", "振华", "永福", "国庆", "长林", "文斌", "宝山")
INSTITUTIONS = ("市妇幼保健院", "区妇幼保健计划生育服务中心", "街道社区卫生服务中心")
# username, family, which parent: `parent` is the mother of two children in different rooms.
PARENT_ACCOUNTS = (("parent", "zhou", "母亲"), ("parent2", "sun", "父亲"), ("parent3", "peng", "母亲"))


def demo_loaded(session: Session) -> bool:
    return session.exec(select(AuditEntry.id).where(AuditEntry.action == AUDIT_ACTION)).first() is not None


def months_before(today: date, months: int, days: int) -> date:
    """The birth date of a child `months` months and `days` days old today."""
    total = today.year * 12 + today.month - 1 - months
    year, month = total // 12, total % 12 + 1
    return date(year, month, min(today.day, last_day_of_month(year, month))) - timedelta(days=days)


class _Phones:
    """Distinct, plausible mainland mobile numbers (13x/15x/18x)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def next(self) -> str:
        while True:
            number = f"1{self.rng.choice('358')}{self.rng.randrange(10)}{self.rng.randrange(10**8):08d}"
            if number not in self.used:
                self.used.add(number)
                return number


def load_demo(session: Session, today: date) -> None:
    """Add the demo nursery to the session and flush; the caller commits."""
    if demo_loaded(session):
        return
    rng = random.Random(20240901)
    phones = _Phones(rng)
    policy = load_policy(session)
    password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: one hash for every demo person

    rooms = {}
    for key, name, room_type in ROOMS:
        rooms[key] = Room(name=name, room_type=room_type, capacity=room_type_cap(room_type, policy))
        session.add(rooms[key])
    session.flush()

    people = {}
    for username, full_name, roles, room_key in STAFF:
        person = _add_person(session, username, full_name, roles, password_hash, phones.next())
        people[username] = person
        if room_key:
            session.add(RoomCaregiver(room_id=rooms[room_key].id, person_id=person.id))
    director = people["director"]
    _add_tablet_pins_and_certificates(session, people, today, director)
    _add_staff_without_sign_in(session, today, director)

    families: dict[str, tuple[Guardian, Guardian, list[dict]]] = {}
    children: dict[str, Child] = {}
    for index, entry in enumerate(ROSTER):
        birth = months_before(today, entry.months, entry.days)
        child = Child(
            full_name=entry.name,
            sex=entry.sex,
            birth_date=birth,
            allergies=entry.allergies,
            special_needs=entry.special_needs,
            feeding_needs=entry.feeding_needs,
        )
        session.add(child)
        session.flush()
        children[entry.name] = child
        # Brothers and sisters share their parents and grandparents.
        if entry.family and entry.family in families:
            father, mother, grandparents = families[entry.family]
        else:
            father, mother = _add_parents(session, entry.name, index, phones)
            grandparents = _grandparents(entry.name, mother, index, phones)
            if entry.family:
                families[entry.family] = (father, mother, grandparents)
        session.add(ChildGuardian(child_id=child.id, guardian_id=mother.id, relation="母亲"))
        session.add(ChildGuardian(child_id=child.id, guardian_id=father.id, relation="父亲"))
        session.add_all([TrustedAdult(child_id=child.id, **adult) for adult in grandparents])
        _enrol(session, rng, policy, today, entry, child, mother, rooms, director)

    _add_today(session, today, rooms[TODAY_ROOM], people, children)
    _add_health(session, today, rooms[TODAY_ROOM], people, children)
    add_demo_family_day(session, today, _today_at)
    _add_contracts(session, today, rooms, director)
    _add_calendar(session, today, director)
    _add_roster(session, today, people, director)
    _add_training(session, today, director)

    for username, family, relation in PARENT_ACCOUNTS:
        father, mother, _adults = families[family]
        guardian = mother if relation == "母亲" else father
        people[username] = _add_person(
            session, username, guardian.full_name, {Role.parent}, password_hash, guardian.phone, guardian_id=guardian.id
        )
    add_demo_committee(session, today, director)
    add_demo_disclosure(session, director)

    session.flush()
    audit.record(
        session,
        None,
        AUDIT_ACTION,
        director,
        after={"rooms": len(rooms), "children": len(ROSTER), "people": len(people), "today": today.isoformat()},
    )
    session.flush()


def _today_at(today: date, hour: int, minute: int) -> datetime:
    """A wall-clock time of the demo day; loaded early in the morning, never later than now."""
    moment = datetime.combine(today, time(hour, minute), tzinfo=get_settings().zone).astimezone(UTC)
    return min(moment, utcnow() - timedelta(minutes=5)) if today == local_today() else moment


def _add_today(session: Session, today: date, room: Room, people: dict, children: dict[str, Child]) -> None:
    """The morning so far in one room: staff clocked in, arrivals with their morning checks, absences."""
    carer = people[TODAY_ON_DUTY[0]]
    for minute, username in enumerate(TODAY_ON_DUTY):
        session.add(StaffShift(
            room_id=room.id, person_id=people[username].id, on_date=today,
            clock_in_at=_today_at(today, 7, 40 + minute), recorded_by_id=people[username].id,
        ))
    for name, (hour, minute), tenths in TODAY_ARRIVALS:
        child, at = children[name], _today_at(today, hour, minute)
        check = MorningCheck(
            child_id=child.id, on_date=today, at=at, temperature_tenths=tenths, outcome=CheckOutcome.admit, by_id=carer.id
        )
        session.add(check)
        session.flush()
        session.add(Attendance(
            child_id=child.id, room_id=room.id, on_date=today, check_in_at=at, brought_by="母亲",
            checked_in_by_id=carer.id, morning_check_id=check.id,
        ))
    for name, amount in TODAY_BREAKFAST:
        session.add(LogEntry(
            child_id=children[name].id, room_id=room.id, on_date=today, kind=EntryKind.meal,
            at=_today_at(today, 8, 40), meal=Meal.breakfast, amount=amount, by_id=carer.id,
        ))
    for name, reason, symptoms in TODAY_ABSENT:
        session.add(Absence(
            child_id=children[name].id, room_id=room.id, on_date=today, reason=reason, symptoms=symptoms,
            suspected_infection=reason is AbsenceReason.sick, recorded_by_id=carer.id, recorded_at=_today_at(today, 8, 30),
        ))
    session.flush()


def _add_health(session: Session, today: date, room: Room, people: dict, children: dict[str, Child]) -> None:
    """Health records: six months of growth, a medicine course for a child in today, a fall last week
    awaiting the director's sign-off, and the return certificate awaited for the child off sick."""
    health, carer = people["health"], people[TODAY_ON_DUTY[0]]
    add_demo_growth(session, list(children.values()), health, today)
    patient = children[TODAY_MEDICINE]
    mother = session.exec(
        select(Guardian).join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(ChildGuardian.child_id == patient.id, ChildGuardian.relation == "母亲")
    ).one()
    session.add(MedicationAuthorisation(
        child_id=patient.id, drug_name="布洛芬混悬液", dose_hundredths=250, dose_unit=DoseUnit.ml,
        route=MedicationRoute.oral, times="10:00,15:00", start_date=today, end_date=today + timedelta(days=2),
        prescription_source=PrescriptionSource.prescription, prescription_reference="市儿童医院 处方 2026-1125-07",
        signed_by_guardian_id=mother.id, signed_on=today, signed_how=SignedHow.paper_at_desk, recorded_by_id=health.id,
    ))
    fell_at = _today_at(today - timedelta(days=6), 10, 15)
    session.add(Incident(
        child_id=children[TODAY_ARRIVALS[2][0]].id, room_id=room.id, category=IncidentCategory.fall, occurred_at=fell_at,
        on_date=today - timedelta(days=6), place="户外滑梯", body_parts=["left_leg"],
        description="从滑梯底部滑出时跌倒，左膝擦伤。", first_aid="清洗伤口，碘伏消毒，贴创可贴。",
        recorded_by_id=carer.id, cause="滑梯出口处地垫移位。", corrective_action="地垫已固定，每天晨间检查。",
        guardian_notified_at=fell_at + timedelta(minutes=20), guardian_notified_how="电话通知母亲",
        guardian_notified_by_id=carer.id,
    ))
    # Periodic exams (定期体检) with screenings for children here a while, so /health lists only a few as due.
    rng = random.Random(7)
    settled = session.exec(
        select(Enrolment).where(Enrolment.status == EnrolmentStatus.enrolled, Enrolment.start_date <= today - timedelta(days=60))
        .order_by(Enrolment.child_id)
    ).all()
    for enrolment in settled[2:]:  # the first two stay overdue, to show the list
        session.add(HealthExam(
            child_id=enrolment.child_id, kind=ExamKind.periodic, exam_date=today - timedelta(days=rng.randint(20, 75)),
            institution="区妇幼保健院", passed=True, haemoglobin_g_l=rng.randint(112, 132), hearing=HearingResult.passed,
            recorded_by_id=health.id,
        ))
    for name, reason, symptoms in TODAY_ABSENT:
        if reason is AbsenceReason.sick:
            session.add(ReturnCertificate(
                child_id=children[name].id, required_since=today, reason=symptoms, required_by_id=carer.id,
            ))
    session.flush()


# Monthly, hourly or daily care fee by care type, in fen; meals per day; deposit.
DEMO_FEES = {
    CareType.full_day: (280000, FeeUnit.month, "周一至周五 7:30–17:30"),
    CareType.half_day: (180000, FeeUnit.month, "周一至周五 上午 7:30–12:00 或下午 13:00–17:30"),
    CareType.hourly: (4000, FeeUnit.hour, "按预约时段，7:30–17:30 之间"),
    CareType.temporary: (16000, FeeUnit.day, "按预约日期，7:30–17:30"),
}
DEMO_MEAL_FEE, DEMO_DEPOSIT = 2000, 100000
DEMO_DISPUTE = "双方协商解决；协商不成的，可向所在区卫生健康主管部门申请调解，或依法向人民法院提起诉讼。"


def _add_contracts(session: Session, today: date, rooms: dict, director) -> None:
    """A signed contract for every enrolled child, one year from the start, with the default refund rules."""
    room_types = {room.id: room.room_type for room in rooms.values()}
    enrolled = session.exec(select(Enrolment).where(Enrolment.status == EnrolmentStatus.enrolled)).all()
    mothers = dict(session.exec(
        select(ChildGuardian.child_id, ChildGuardian.guardian_id).where(ChildGuardian.relation == "母亲")
    ).all())
    for enrolment in enrolled:
        fee, unit, hours = DEMO_FEES[enrolment.care_type]
        signed_on = min(enrolment.start_date - timedelta(days=7), today)
        session.add(Contract(
            enrolment_id=enrolment.id, child_id=enrolment.child_id,
            status=ContractStatus.signed,  # "active" is worked out from the dates (contracts.service.status_of)
            start_date=enrolment.start_date,
            end_date=min(enrolment.start_date + timedelta(days=364), enrolment.end_date or date.max),
            care_type=enrolment.care_type, hours=hours, room_type=room_types[enrolment.room_id],
            care_fee_fen=fee, care_fee_unit=unit, meal_fee_per_day_fen=DEMO_MEAL_FEE, deposit_fen=DEMO_DEPOSIT,
            dispute_resolution=DEMO_DISPUTE, guardian_id=mothers[enrolment.child_id], guardian_signed_on=signed_on,
            director_signed_by_id=director.id, director_signed_on=signed_on, created_by_id=director.id,
        ))
    session.flush()


def _add_calendar(session: Session, today: date, director) -> None:
    """The next New Year's Day (元旦) closed, and a closure the nursery caused two weeks ago (a repair)."""
    new_year = date(today.year + 1, 1, 1)
    repair = today - timedelta(days=14)
    while repair.isoweekday() > 5:
        repair -= timedelta(days=1)
    session.add(CalendarDay(on_date=new_year, kind=CalendarDayKind.closed, name="元旦", recorded_by_id=director.id))
    session.add(CalendarDay(on_date=repair, kind=CalendarDayKind.closed, caused_by_nursery=True, name="热水系统检修",
                            recorded_by_id=director.id))
    session.flush()


# The duty roster (排班): caregivers alternate early and late duties in their rooms; the posts keep their hours.
EARLY, LATE = (time(7, 30), time(16, 30)), (time(8, 30), time(17, 30))
POST_HOURS = {Job.health: (time(8, 0), time(17, 0)), Job.security: (time(7, 0), time(18, 0)), Job.kitchen: (time(6, 30), time(14, 30))}


def _add_roster(session: Session, today: date, people: dict, director) -> None:
    """Last week and the next two weeks, weekdays the nursery is open; the caregiver whose certificate ran out is left off."""
    closed = set(session.exec(select(CalendarDay.on_date).where(CalendarDay.kind == CalendarDayKind.closed)).all())
    rooms = {person_id: room_id for room_id, person_id in session.exec(select(RoomCaregiver.room_id, RoomCaregiver.person_id))}
    posts = [(person.id, POST_HOURS[profile.job]) for person, profile in session.exec(
        select(Person, StaffProfile).join(StaffProfile, StaffProfile.person_id == Person.id)
    ) if profile.job in POST_HOURS]
    posts.append((people["health"].id, POST_HOURS[Job.health]))
    for offset in range(-7, 15):
        day = today + timedelta(days=offset)
        if day.isoweekday() > 5 or day in closed:
            continue
        for index, (username, person) in enumerate(people.items()):
            if person.id in rooms and username != EXPIRED_CERTIFICATE:
                starts, ends = EARLY if (index + offset) % 2 else LATE
                session.add(RosterEntry(on_date=day, person_id=person.id, room_id=rooms[person.id],
                                        starts_at=starts, ends_at=ends, recorded_by_id=director.id))
        for person_id, (starts, ends) in posts:
            session.add(RosterEntry(on_date=day, person_id=person_id, starts_at=starts, ends_at=ends,
                                    recorded_by_id=director.id))
    session.flush()


# The newest caregiver has done her pre-service training but not yet all her ethics hours (师德培训).
NEW_CAREGIVER = "马老师"


def _add_training(session: Session, today: date, director) -> None:
    """Pre-service (72 h) and ethics (40 h) training for everyone on the register, one short on ethics."""
    for person in session.exec(select(Person).where(
        Person.id.in_(select(StaffProfile.person_id)) | Person.id.in_(select(RoomCaregiver.person_id))
        | (Person.username.in_(("director", "health")))
    )).all():
        ethics_tenths = 240 if person.full_name == NEW_CAREGIVER else 400
        session.add_all([
            StaffTraining(person_id=person.id, on_date=today - timedelta(days=400), hours_tenths=800,
                          kind=TrainingKind.pre_service, provider="市妇幼保健院托育岗前培训", recorded_by_id=director.id),
            StaffTraining(person_id=person.id, on_date=today - timedelta(days=120), hours_tenths=ethics_tenths,
                          kind=TrainingKind.ethics, provider="区卫健委师德专题培训", recorded_by_id=director.id),
        ])
    session.flush()


def _add_person(
    session: Session, username: str, full_name: str, roles: set[Role], password_hash: str, phone: str, **fields
) -> Person:
    person = Person(username=username, full_name=full_name, password_hash=password_hash, phone=phone, **fields)
    session.add(person)
    session.flush()
    set_roles(session, person, roles)
    return person


def _add_parents(session: Session, child_name: str, index: int, phones: _Phones) -> tuple[Guardian, Guardian]:
    # A child usually carries the father's surname; the mother keeps her own.
    father = Guardian(full_name=child_name[0] + FATHER_GIVEN[index % len(FATHER_GIVEN)], phone=phones.next())
    mother_surname = MOTHER_SURNAMES[(index * 7) % len(MOTHER_SURNAMES)]
    mother = Guardian(full_name=mother_surname + MOTHER_GIVEN[index % len(MOTHER_GIVEN)], phone=phones.next())
    session.add_all([father, mother])
    session.flush()
    return father, mother


def _grandparents(child_name: str, mother: Guardian, index: int, phones: _Phones) -> list[dict]:
    """One or two grandparents trusted with the child: name, relation, phone, pick-up, emergency contact."""
    grandmother = GRANDMOTHER_GIVEN[index % len(GRANDMOTHER_GIVEN)]
    grandfather = GRANDFATHER_GIVEN[(index * 3) % len(GRANDFATHER_GIVEN)]
    adults = []
    if index % 2 == 0:
        surname = MOTHER_SURNAMES[(index * 3 + 5) % len(MOTHER_SURNAMES)]
        adults.append(dict(full_name=surname + grandmother, relation="奶奶", may_pick_up=True, emergency_contact=True))
        if index % 4 == 0:
            adults.append(dict(full_name=child_name[0] + grandfather, relation="爷爷", may_pick_up=True, emergency_contact=False))
    else:
        surname = MOTHER_SURNAMES[(index * 5 + 2) % len(MOTHER_SURNAMES)]
        adults.append(dict(full_name=surname + grandmother, relation="外婆", may_pick_up=True, emergency_contact=True))
        if index % 3 == 0:
            adults.append(dict(full_name=mother.full_name[0] + grandfather, relation="外公", may_pick_up=False, emergency_contact=True))
    return [{**adult, "phone": phones.next()} for adult in adults]


def _enrol(session, rng, policy, today, entry: DemoChild, child: Child, mother: Guardian, rooms, director) -> None:
    room = rooms[entry.room] if entry.room else None
    if entry.status is EnrolmentStatus.waitlisted:
        applied = today - timedelta(days=WAITLIST_APPLIED_DAYS_AGO[entry.name])
        session.add(Enrolment(
            child_id=child.id, room_id=None, status=entry.status, care_type=entry.care,
            schedule_days=entry.schedule, half_day_session=entry.half_day,
            applied_on=applied, start_date=today + timedelta(days=30), created_by_id=director.id,
        ))
        return

    start = _start_date(rng, policy, today, entry, child)
    first_room = rooms[entry.transferred_from] if entry.transferred_from else room
    end_date = reason = None
    if entry.status is EnrolmentStatus.withdrawn:
        end_date, reason = today - timedelta(days=20), "家庭搬迁至外地，已提前一个月书面告知"
    enrolment = Enrolment(
        child_id=child.id, room_id=room.id, status=entry.status, care_type=entry.care,
        schedule_days=entry.schedule, half_day_session=entry.half_day,
        applied_on=start - timedelta(days=rng.randint(20, 90)), start_date=start, end_date=end_date,
        withdrawal_reason=reason, created_by_id=director.id,
    )
    session.add(enrolment)
    session.flush()
    if entry.transferred_from:
        moved_on = date_at_months(child.birth_date, policy.toddler_from_months) + timedelta(days=3)
        session.add(RoomTransfer(
            enrolment_id=enrolment.id, from_room_id=first_room.id, to_room_id=room.id, on_date=moved_on,
            reason="满12个月，升入托小班", by_id=director.id,
        ))
    _admission(session, rng, policy, entry, child, enrolment, mother)


def _start_date(rng, policy, today, entry: DemoChild, child: Child) -> date:
    """A start date on which the child already fitted the room it started in."""
    if entry.admission == "starting_soon":
        return today + timedelta(days=5)
    if entry.transferred_from:
        return date_at_months(child.birth_date, 8)
    room_type = {key: room_type for key, _name, room_type in ROOMS}[entry.room]
    low, _high = room_months(room_type, policy)
    earliest = date_at_months(child.birth_date, low) + timedelta(days=1)
    if entry.status is EnrolmentStatus.withdrawn:
        return earliest
    if entry.admission == "vaccination_overdue":
        return max(today - timedelta(days=45), earliest)
    if entry.admission == "vaccination_pending":
        return max(today - timedelta(days=10), earliest)
    return max(today - timedelta(days=rng.randint(20, 330)), earliest)


def _admission(session, rng, policy, entry: DemoChild, child: Child, enrolment: Enrolment, mother: Guardian) -> None:
    """入托 checklist: agreement, entry exam, vaccination certificate, consent, feeding statement."""
    start = enrolment.start_date
    signed = start - timedelta(days=rng.randint(3, 10))
    if entry.feeding_needs and entry.feeding_statement:
        child.feeding_statement_on = signed
    if entry.admission == "starting_soon":
        # Signed up, exam booked but not done, certificate promised: the checklist shows what is missing.
        child.vaccination_status = VaccinationStatus.pending
        child.vaccination_due_on = start + timedelta(days=policy.vaccination_pending_days)
        session.add(child)
        return
    enrolment.agreement_signed_on = signed
    if entry.admission != "no_consent":
        child.consent_on = signed
        child.consent_guardian_id = mother.id
    if entry.admission in ("vaccination_overdue", "vaccination_pending"):
        child.vaccination_status = VaccinationStatus.pending
        child.vaccination_due_on = start + timedelta(days=policy.vaccination_pending_days)
    else:
        child.vaccination_status = VaccinationStatus.sighted
        child.vaccination_checked_on = signed
    # An exam older than the valid days before the start does not count (入托体检).
    days_before = policy.entry_exam_valid_days + 15 if entry.admission == "exam_expired" else rng.randint(5, 25)
    session.add(HealthExam(
        child_id=child.id, kind=ExamKind.entry, exam_date=start - timedelta(days=days_before),
        institution=rng.choice(INSTITUTIONS), passed=True, notes="体检合格，准予入托",
        haemoglobin_g_l=120 + days_before % 10, hearing=HearingResult.passed,
    ))
    session.add_all([child, enrolment])
