"""The demo nursery's parent committee: three members, a meeting with minutes, an opinion answered, a survey.

The last parent activity was seven months ago, so the director's "parent activity overdue" WARN has
something to show; the survey was two months ago and is not overdue.
"""

from datetime import date, timedelta

from sqlmodel import Session, select

from nursery_ops.auth.models import Person
from nursery_ops.committee.models import (
    ActivityKind,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOpinion,
    CommitteeRole,
    ParentActivity,
)

# Demo parent accounts (README) on the committee, and their roles.
MEMBERS = (("parent", CommitteeRole.chair), ("parent2", CommitteeRole.vice_chair), ("parent3", CommitteeRole.member))

AGENDA = "1. 新学期一日作息安排\n2. 秋季传染病预防\n3. 家长开放日的准备"
MINUTES = (
    "一、园长介绍了新学期的一日作息：入园 7:30–8:30，午睡 12:00–14:30，离园 16:30–17:30。委员们同意。\n"
    "二、保健人员讲解了秋季手足口病、诺如病毒的预防措施和晨午检流程；家长如发现孩子发热、皮疹，请在家休息并告知班级老师。\n"
    "三、家长开放日定于下月中旬，由家委会协助报名和现场引导。\n"
    "会议决定：作息安排于下周一起执行；开放日方案由家委会主任与园长在两周内确定。"
)
OPINION = (
    "关于调整午睡起床时间的建议",
    "部分家长反映 14:30 起床后孩子晚上入睡偏晚，建议托大班午睡起床时间提前到 14:15，并在离园前增加户外活动时间。",
    "感谢家委会的建议。经保育人员观察两周，托大班自下周一起 14:15 起床，午点后增加 20 分钟户外活动；"
    "乳儿班和托小班仍按孩子个人睡眠需要安排。一个月后请家委会再反馈效果。",
)


def add_demo_committee(session: Session, today: date, director: Person) -> None:
    """Add the committee to the session and flush; the demo parents' accounts must exist already."""
    people = {person.username: person for person in session.exec(
        select(Person).where(Person.username.in_([username for username, _role in MEMBERS]))
    ).all()}
    members = []
    for username, role in MEMBERS:
        member = CommitteeMember(guardian_id=people[username].guardian_id, role=role, from_date=today - timedelta(days=150),
                                 created_by_id=director.id)
        session.add(member)
        members.append(member)
    session.flush()
    session.add(CommitteeMeeting(
        held_on=today - timedelta(days=45), attendee_member_ids=[member.id for member in members],
        staff_attendees="李园长、刘保健", agenda=AGENDA, minutes=MINUTES, created_by_id=director.id,
    ))
    subject, text, response = OPINION
    session.add(CommitteeOpinion(
        given_on=today - timedelta(days=40), subject=subject, text=text, response=response,
        responded_on=today - timedelta(days=33), responded_by_id=director.id, created_by_id=director.id,
    ))
    session.add(ParentActivity(
        held_on=today - timedelta(days=60), kind=ActivityKind.survey, title="本学期家长满意度调查", participants=42,
        results="家长对保育照护和膳食最满意；希望增加每日照片反馈，已安排班级每天上传。", satisfaction_percent=93,
        satisfied_count=39, surveyed_count=42, created_by_id=director.id,
    ))
    session.add(ParentActivity(
        held_on=today - timedelta(days=215), kind=ActivityKind.activity, title="亲子运动会", participants=56,
        results="38 个家庭参加；家长建议下次安排在上午，避开午睡时间。", created_by_id=director.id,
    ))
    session.flush()
