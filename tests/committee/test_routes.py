"""/committee: the director writes, staff and parents with a child in care read; bad input changes nothing."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today
from nursery_ops.committee.models import (
    ActivityKind,
    CommitteeMeeting,
    CommitteeMember,
    CommitteeOpinion,
    CommitteeRole,
    ParentActivity,
)
from nursery_ops.enrolment.models import Enrolment, EnrolmentStatus
from tests import factories as f
from tests.committee.conftest import days_ago, make_activity, make_meeting, make_member

TODAY = local_today()


def rows(engine, model) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())


def audit_actions(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def last_audit(engine, action: str) -> AuditEntry:
    with Session(engine) as session:
        return session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())).first()


def withdraw(session, child, last_day):
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()
    enrolment.status, enrolment.end_date, enrolment.withdrawal_reason = EnrolmentStatus.withdrawn, last_day, "搬家"
    session.add(enrolment)
    session.commit()


# ---------------------------------------------------------------- reading


def test_the_director_sees_everything_with_the_forms(client_for, world, committee):
    page = client_for(world.director).get("/committee")
    assert page.status_code == 200
    for text in ("王妈妈", "赵爸爸", "Chair (主任)", "关于午睡时间的建议", "自下周一起 14:15 起床。", "93%", "家长满意度调查"):
        assert text in page.text
    for link in ("/committee/members/new", "/committee/meetings/new", "/committee/opinions/new",
                 "/committee/activities/new", f"/committee/members/{committee.chair.id}/edit",
                 f"/committee/opinions/{committee.opinion.id}/response", f"/committee/activities/{committee.survey.id}/edit"):
        assert link in page.text
    # Staff see whose parent a member is.
    assert "母亲 of 王小明" in page.text


def test_a_parent_with_a_child_in_care_reads_everything_without_forms_or_edit_links(client_for, world, committee):
    page = client_for(world.parent_y).get("/committee")
    assert page.status_code == 200
    for text in ("王妈妈", "赵爸爸", "关于午睡时间的建议", "建议托大班提前起床。", "自下周一起 14:15 起床。", "93%"):
        assert text in page.text
    assert "/edit" not in page.text and "/new" not in page.text and "/response" not in page.text
    assert 'method="post" action="/committee' not in page.text
    # Other families' children are not named to parents.
    assert "王小明" not in page.text


def test_a_parent_reads_a_meetings_minutes(client_for, world, committee):
    page = client_for(world.parent_x).get(f"/committee/meetings/{committee.meeting.id}")
    assert page.status_code == 200
    assert "委员们同意午睡起床时间提前到 14:15。" in page.text and "新学期作息安排" in page.text
    assert "王妈妈" in page.text and "赵爸爸" in page.text and "李园长" in page.text
    assert "/edit" not in page.text


@pytest.mark.parametrize("who", ["caregiver_a", "health"])
def test_caregivers_and_health_officers_read_without_forms(client_for, world, committee, who):
    client = client_for(getattr(world, who))
    page = client.get("/committee")
    assert page.status_code == 200 and "关于午睡时间的建议" in page.text
    assert "/committee/members/new" not in page.text and "/edit" not in page.text
    assert client.get(f"/committee/meetings/{committee.meeting.id}").status_code == 200
    assert client.get("/committee/members/new").status_code == 403


def test_an_opinion_without_a_response_is_shown_awaiting_one(client_for, world, committee, session):
    session.add(CommitteeOpinion(given_on=TODAY, subject="关于伙食费", text="建议公布每月伙食账。",
                                 created_by_id=world.director.id))
    session.commit()
    assert "Awaiting response" in client_for(world.parent_x).get("/committee").text


def test_a_parent_whose_child_has_left_no_longer_reads(client_for, world, committee, session):
    withdraw(session, world.child_y, days_ago(1))
    client = client_for(world.parent_y)
    assert client.get("/committee").status_code == 403
    assert client.get(f"/committee/meetings/{committee.meeting.id}").status_code == 403


def test_a_parent_whose_child_leaves_today_still_reads_today(client_for, world, committee, session):
    withdraw(session, world.child_y, TODAY)
    assert client_for(world.parent_y).get("/committee").status_code == 200


def test_a_parent_account_linked_to_no_child_is_refused(client_for, world, committee, session):
    lonely = f.make_person(session, "lonely", Role.parent)
    session.commit()
    assert client_for(lonely).get("/committee").status_code == 403


def test_a_member_whose_child_leaves_is_shown_as_ended_not_deleted(client_for, world, committee, session):
    withdraw(session, world.child_y, days_ago(2))
    page = client_for(world.director).get("/committee")
    assert "赵爸爸" in page.text and "their child has left the nursery" in page.text
    assert len(rows(session.get_bind(), CommitteeMember)) == 2


def test_parents_are_not_told_that_another_familys_child_has_left(client_for, world, committee, session):
    withdraw(session, world.child_y, days_ago(2))
    page = client_for(world.parent_x).get("/committee")
    assert "赵爸爸" in page.text and "Ended" in page.text
    assert "their child has left the nursery" not in page.text and "13700137000" not in page.text


def test_no_phone_number_of_another_family_reaches_a_parent(client_for, world, committee):
    client = client_for(world.parent_x)
    for url in ("/committee", f"/committee/meetings/{committee.meeting.id}"):
        page = client.get(url).text
        assert "13700137000" not in page and "赵小红" not in page


def test_a_member_voided_as_a_mistake_vanishes_from_the_attendance_parents_read(client_for, world, committee, session):
    committee.member.voided_at, committee.member.void_reason = committee.survey.created_at, "选错了家长"
    session.add(committee.member)
    session.commit()
    meeting_url = f"/committee/meetings/{committee.meeting.id}"
    parent = client_for(world.parent_x)
    page = parent.get(meeting_url)
    assert page.status_code == 200 and "王妈妈" in page.text and "赵爸爸" not in page.text
    home = parent.get("/committee").text
    assert "赵爸爸" not in home and "1 member present" in home
    director = client_for(world.director).get(meeting_url).text
    assert "赵爸爸" in director and "Void" in director


@pytest.mark.parametrize("url", ["/committee", "/committee/meetings/1"])
def test_anonymous_readers_are_sent_to_sign_in(anonymous, url):
    response = anonymous.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_void_entries_are_hidden_from_parents_and_marked_for_the_director(client_for, world, committee, session):
    committee.meeting.voided_at, committee.meeting.void_reason = committee.survey.created_at, "录入重复"
    session.add(committee.meeting)
    session.commit()
    meeting_url = f"/committee/meetings/{committee.meeting.id}"
    assert client_for(world.parent_x).get(meeting_url).status_code == 404
    assert "Meeting of" not in client_for(world.parent_x).get("/committee").text
    director = client_for(world.director)
    assert "录入重复" in director.get("/committee").text
    page = director.get(meeting_url)
    assert page.status_code == 200 and "Void: 录入重复" in page.text


def test_an_unknown_meeting_is_not_found(client_for, world, committee):
    assert client_for(world.parent_x).get("/committee/meetings/999").status_code == 404


def test_the_page_takes_the_same_number_of_queries_however_long_the_history(client_for, world, committee, session, queries):
    client = client_for(world.parent_x)
    client.get("/committee")
    with queries:
        client.get("/committee")
    few = queries.count
    for index in range(4):
        child = f.make_child(session, f"孩子{index}", months=20)
        guardian = f.make_guardian(session, child, f"家长{index}")
        f.enrol(session, child, world.room_a)
        member = make_member(session, guardian, world.director)
        make_meeting(session, [member], world.director)
        make_activity(session, world.director, ActivityKind.activity)
        session.add(CommitteeOpinion(given_on=TODAY, subject=f"意见{index}", text="……", created_by_id=world.director.id))
    session.commit()
    with queries:
        client.get("/committee")
    assert queries.count == few


# ---------------------------------------------------------------- members


def test_the_director_adds_a_guardian_of_an_enrolled_child_as_a_member(client_for, world, session, engine):
    client = client_for(world.director)
    form = client.get("/committee/members/new")
    assert form.status_code == 200 and "王妈妈 (母亲 of 王小明)" in form.text
    response = client.post("/committee/members/new", {"guardian_id": world.guardian_x.id, "role": "chair",
                                                      "from_date": TODAY.isoformat()})
    assert response.status_code == 303 and response.headers["location"] == "/committee#members"
    [member] = rows(engine, CommitteeMember)
    assert (member.guardian_id, member.role, member.from_date, member.to_date) == (
        world.guardian_x.id, CommitteeRole.chair, TODAY, None)
    entry = last_audit(engine, "committee_member_added")
    assert entry.actor_id == world.director.id and entry.entity_id == member.id and entry.after["role"] == "chair"


def test_a_guardian_whose_child_has_left_cannot_join(client_for, world, session, engine):
    withdraw(session, world.child_y, days_ago(1))
    response = client_for(world.director).post("/committee/members/new", {
        "guardian_id": world.guardian_y.id, "role": "member", "from_date": TODAY.isoformat()})
    assert response.status_code == 400
    assert "Choose a guardian of a child in the nursery&#39;s care now." in response.text
    assert rows(engine, CommitteeMember) == []


def test_a_guardian_barred_from_the_childs_information_is_not_offered_as_a_member(client_for, world, session, engine):
    barred = f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", may_view=False)
    session.commit()
    client = client_for(world.director)
    assert "王爸爸" not in client.get("/committee/members/new").text
    response = client.post("/committee/members/new", {"guardian_id": barred.id, "role": "member",
                                                      "from_date": TODAY.isoformat()})
    assert response.status_code == 400 and rows(engine, CommitteeMember) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"role": ""}, "role", "This field is required."),
        ({"role": "king"}, "role", "Choose one of the options."),
        ({"from_date": "2026-02-30"}, "from_date", "This date does not exist in the calendar."),
        ({"from_date": "soon"}, "from_date", "Enter a date as YYYY-MM-DD."),
        ({"to_date": (TODAY - timedelta(days=1)).isoformat()}, "to_date", "The last day cannot be before the first day."),
        ({"guardian_id": ""}, "guardian_id", "This field is required."),
    ],
)
def test_bad_member_input_is_refused_next_to_the_field(client_for, world, engine, changes, field, message):
    data = {"guardian_id": world.guardian_x.id, "role": "member", "from_date": TODAY.isoformat(), **changes}
    response = client_for(world.director).post("/committee/members/new", data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert rows(engine, CommitteeMember) == []


def test_a_guardian_is_not_a_member_twice_at_the_same_time(client_for, world, committee, engine):
    response = client_for(world.director).post("/committee/members/new", {
        "guardian_id": world.guardian_x.id, "role": "member", "from_date": TODAY.isoformat()})
    assert response.status_code == 400 and "already on the committee" in response.text
    assert len(rows(engine, CommitteeMember)) == 2


def test_the_director_ends_a_members_term_and_the_change_is_audited(client_for, world, committee, engine):
    client = client_for(world.director)
    url = f"/committee/members/{committee.member.id}/edit"
    assert client.get(url).status_code == 200
    end = days_ago(1).isoformat()
    response = client.post(url, {"role": "vice_chair", "from_date": committee.member.from_date.isoformat(), "to_date": end})
    assert response.status_code == 303
    member = rows(engine, CommitteeMember)[1]
    assert member.role == CommitteeRole.vice_chair and member.to_date.isoformat() == end
    entry = last_audit(engine, "committee_member_changed")
    assert entry.before["role"] == "member" and entry.before["to_date"] is None
    assert entry.after["role"] == "vice_chair" and entry.after["to_date"] == end
    assert "Ended" in client.get("/committee").text


def test_the_director_voids_a_member_entered_by_mistake_with_a_reason(client_for, world, committee, engine):
    client = client_for(world.director)
    url = f"/committee/members/{committee.member.id}/void"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and 'id="reason-error"' in refused.text
    assert rows(engine, CommitteeMember)[1].voided_at is None
    assert client.post(url, {"reason": "选错了家长"}).status_code == 303
    member = rows(engine, CommitteeMember)[1]
    assert member.voided_at is not None and member.voided_by_id == world.director.id and member.void_reason == "选错了家长"
    assert last_audit(engine, "committee_member_voided").reason == "选错了家长"
    again = client.post(url, {"reason": "再来一次"})
    assert again.status_code == 400
    # A void record is not edited.
    edit = client.post(f"/committee/members/{committee.member.id}/edit", {"role": "chair", "from_date": TODAY.isoformat()})
    assert edit.status_code == 400 and rows(engine, CommitteeMember)[1].role == CommitteeRole.member


# ---------------------------------------------------------------- meetings


def meeting_data(committee, **changes) -> dict:
    return {"held_on": TODAY.isoformat(), "attendee_ids": [committee.chair.id, committee.member.id],
            "staff_attendees": "李园长、刘保健", "agenda": "秋季传染病预防", "minutes": "保健人员讲解了手足口病的预防。", **changes}


def test_the_director_records_a_meeting_with_its_attendees_and_minutes(client_for, world, committee, engine):
    client = client_for(world.director)
    assert client.get("/committee/meetings/new").status_code == 200
    response = client.post("/committee/meetings/new", meeting_data(committee))
    assert response.status_code == 303
    meeting = rows(engine, CommitteeMeeting)[-1]
    assert response.headers["location"] == f"/committee/meetings/{meeting.id}"
    assert meeting.attendee_member_ids == sorted([committee.chair.id, committee.member.id])
    assert last_audit(engine, "committee_meeting_recorded").after["agenda"] == "秋季传染病预防"
    assert "保健人员讲解了手足口病的预防。" in client_for(world.parent_y).get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"attendee_ids": []}, "attendee_ids", "Choose the committee members who attended."),
        ({"attendee_ids": ["999"]}, "attendee_ids", "Choose only people who were committee members"),
        ({"attendee_ids": ["x"]}, "attendee_ids", "Enter a whole number."),
        ({"held_on": (TODAY + timedelta(days=1)).isoformat()}, "held_on", "This date cannot be in the future."),
        # Before the members' terms began (20 days ago)
        ({"held_on": days_ago(30).isoformat()}, "attendee_ids", "Choose only people who were committee members"),
        ({"agenda": ""}, "agenda", "This field is required."),
        ({"minutes": "长" * 10001}, "minutes", "This is too long."),
    ],
)
def test_bad_meeting_input_is_refused_and_nothing_saved(client_for, world, committee, engine, changes, field, message):
    response = client_for(world.director).post("/committee/meetings/new", meeting_data(committee, **changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert len(rows(engine, CommitteeMeeting)) == 1


def test_minutes_written_later_keep_the_first_version_in_the_audit_log(client_for, world, committee, engine):
    url = f"/committee/meetings/{committee.meeting.id}/edit"
    client = client_for(world.director)
    assert client.get(url).status_code == 200
    response = client.post(url, meeting_data(committee, held_on=committee.meeting.held_on.isoformat(), minutes="改正后的纪要"))
    assert response.status_code == 303
    assert rows(engine, CommitteeMeeting)[0].minutes == "改正后的纪要"
    entry = last_audit(engine, "committee_meeting_changed")
    assert entry.before["minutes"] == "委员们同意午睡起床时间提前到 14:15。" and entry.after["minutes"] == "改正后的纪要"


def test_the_director_voids_a_meeting(client_for, world, committee, engine):
    response = client_for(world.director).post(f"/committee/meetings/{committee.meeting.id}/void", {"reason": "日期录错"})
    assert response.status_code == 303
    assert rows(engine, CommitteeMeeting)[0].void_reason == "日期录错"


# ---------------------------------------------------------------- opinions and responses


def test_the_director_records_an_opinion_and_then_the_nurserys_response(client_for, world, committee, engine):
    client = client_for(world.director)
    assert client.get("/committee/opinions/new").status_code == 200
    response = client.post("/committee/opinions/new", {"given_on": days_ago(3).isoformat(), "subject": "关于伙食费",
                                                       "text": "建议每月公布伙食账目。"})
    assert response.status_code == 303
    opinion = rows(engine, CommitteeOpinion)[-1]
    assert response.headers["location"] == f"/committee#opinion-{opinion.id}"
    assert "Awaiting response" in client.get("/committee").text
    url = f"/committee/opinions/{opinion.id}/response"
    assert client.get(url).status_code == 200
    assert client.post(url, {"responded_on": TODAY.isoformat(), "response": "自本月起每月公布。"}).status_code == 303
    opinion = rows(engine, CommitteeOpinion)[-1]
    assert (opinion.response, opinion.responded_on, opinion.responded_by_id) == ("自本月起每月公布。", TODAY, world.director.id)
    entry = last_audit(engine, "committee_opinion_answered")
    assert entry.before["response"] is None and entry.after["response"] == "自本月起每月公布。"
    assert "自本月起每月公布。" in client_for(world.parent_x).get("/committee").text


def test_a_response_dated_before_the_opinion_is_refused(client_for, world, committee, engine):
    url = f"/committee/opinions/{committee.opinion.id}/response"
    response = client_for(world.director).post(url, {"responded_on": days_ago(9).isoformat(), "response": "改"})
    assert response.status_code == 400 and 'id="responded_on-error"' in response.text
    assert f"cannot be dated before the opinion ({days_ago(8).isoformat()})" in response.text
    assert rows(engine, CommitteeOpinion)[0].response == "自下周一起 14:15 起床。"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": ""}, "subject", "This field is required."),
        ({"text": ""}, "text", "This field is required."),
        ({"given_on": ""}, "given_on", "This field is required."),
        ({"subject": "长" * 201}, "subject", "This is too long."),
    ],
)
def test_bad_opinion_input_is_refused_and_nothing_saved(client_for, world, committee, engine, changes, field, message):
    data = {"given_on": TODAY.isoformat(), "subject": "关于伙食费", "text": "建议。", **changes}
    response = client_for(world.director).post("/committee/opinions/new", data)
    assert response.status_code == 400 and f'id="{field}-error"' in response.text and message in response.text
    assert len(rows(engine, CommitteeOpinion)) == 1


def test_an_answered_opinion_cannot_be_moved_after_its_response(client_for, world, committee, engine):
    client = client_for(world.director)
    url = f"/committee/opinions/{committee.opinion.id}/edit"
    assert client.get(url).status_code == 200
    response = client.post(url, {"given_on": days_ago(5).isoformat(), "subject": "关于午睡时间的建议", "text": "改"})
    assert response.status_code == 400 and 'id="given_on-error"' in response.text
    assert rows(engine, CommitteeOpinion)[0].text == "建议托大班提前起床。"
    assert client.post(url, {"given_on": days_ago(7).isoformat(), "subject": "关于午睡时间的建议",
                             "text": "改"}).status_code == 303
    assert last_audit(engine, "committee_opinion_changed").before["text"] == "建议托大班提前起床。"


def test_the_director_voids_an_opinion(client_for, world, committee, engine):
    client = client_for(world.director)
    assert client.post(f"/committee/opinions/{committee.opinion.id}/void", {"reason": "重复录入"}).status_code == 303
    assert rows(engine, CommitteeOpinion)[0].voided_at is not None
    assert "关于午睡时间的建议" not in client_for(world.parent_x).get("/committee").text


# ---------------------------------------------------------------- activities and surveys


def activity_data(**changes) -> dict:
    return {"held_on": TODAY.isoformat(), "kind": "survey", "title": "春季满意度调查", "participants": "50",
            "results": "满意度高。", "satisfied_count": "45", "surveyed_count": "50", **changes}


def test_a_survey_with_counts_gets_its_rate_worked_out(client_for, world, engine):
    client = client_for(world.director)
    assert client.get("/committee/activities/new?kind=survey").status_code == 200
    assert client.post("/committee/activities/new", activity_data()).status_code == 303
    [survey] = rows(engine, ParentActivity)
    assert (survey.kind, survey.satisfaction_percent, survey.satisfied_count, survey.surveyed_count) == (
        ActivityKind.survey, 90, 45, 50)
    assert last_audit(engine, "parent_activity_recorded").after["satisfaction_percent"] == 90
    assert "90%" in client_for(world.parent_x).get("/committee").text


def test_a_parent_activity_is_recorded_without_a_rate(client_for, world, engine):
    data = activity_data(kind="activity", title="亲子运动会", satisfied_count="", surveyed_count="")
    assert client_for(world.director).post("/committee/activities/new", data).status_code == 303
    [activity] = rows(engine, ParentActivity)
    assert activity.kind == ActivityKind.activity and activity.satisfaction_percent is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"satisfied_count": "", "surveyed_count": ""}, "satisfaction_percent", "Enter the satisfaction rate"),
        ({"satisfied_count": "51"}, "satisfied_count", "There cannot be more satisfied than surveyed."),
        ({"satisfaction_percent": "80"}, "satisfaction_percent", "The counts give 90%"),
        ({"satisfaction_percent": "101", "satisfied_count": "", "surveyed_count": ""}, "satisfaction_percent",
         "This number is too large."),
        ({"kind": "activity"}, "satisfied_count", "Only a satisfaction survey has a satisfaction rate."),
        ({"participants": "many"}, "participants", "Enter a whole number."),
        ({"participants": "-1"}, "participants", "This number is too small."),
        ({"kind": "party"}, "kind", "Choose one of the options."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_activity_input_is_refused_and_nothing_saved(client_for, world, engine, changes, field, message):
    response = client_for(world.director).post("/committee/activities/new", activity_data(**changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert rows(engine, ParentActivity) == []


def test_the_director_corrects_and_voids_an_activity(client_for, world, committee, engine):
    client = client_for(world.director)
    url = f"/committee/activities/{committee.survey.id}/edit"
    assert client.get(url).status_code == 200
    data = activity_data(held_on=committee.survey.held_on.isoformat(), satisfied_count="", surveyed_count="",
                         satisfaction_percent="95")
    assert client.post(url, data).status_code == 303
    assert rows(engine, ParentActivity)[0].satisfaction_percent == 95
    assert last_audit(engine, "parent_activity_changed").before["satisfaction_percent"] == 93
    assert client.post(f"/committee/activities/{committee.survey.id}/void", {"reason": "数据有误"}).status_code == 303
    assert rows(engine, ParentActivity)[0].void_reason == "数据有误"


def test_the_director_is_warned_on_the_page_when_no_parent_activity_for_six_months(client_for, world, committee):
    page = client_for(world.director).get("/committee")
    assert "No parent activity in the last 6 months." in page.text
    assert "No parent activity in the last" not in client_for(world.parent_x).get("/committee").text


# ---------------------------------------------------------------- who may write


WRITES = [
    ("/committee/members/new", {"role": "member", "from_date": TODAY.isoformat()}),
    ("/committee/members/{member}/edit", {"role": "chair", "from_date": TODAY.isoformat()}),
    ("/committee/members/{member}/void", {"reason": "测试"}),
    ("/committee/meetings/new", {"held_on": TODAY.isoformat(), "agenda": "议程"}),
    ("/committee/meetings/{meeting}/edit", {"held_on": TODAY.isoformat(), "agenda": "议程"}),
    ("/committee/meetings/{meeting}/void", {"reason": "测试"}),
    ("/committee/opinions/new", {"given_on": TODAY.isoformat(), "subject": "题", "text": "文"}),
    ("/committee/opinions/{opinion}/edit", {"given_on": TODAY.isoformat(), "subject": "题", "text": "文"}),
    ("/committee/opinions/{opinion}/response", {"responded_on": TODAY.isoformat(), "response": "答"}),
    ("/committee/opinions/{opinion}/void", {"reason": "测试"}),
    ("/committee/activities/new", {"held_on": TODAY.isoformat(), "kind": "activity", "title": "活动", "participants": "3"}),
    ("/committee/activities/{survey}/edit", {"held_on": TODAY.isoformat(), "kind": "activity", "title": "活动",
                                             "participants": "3"}),
    ("/committee/activities/{survey}/void", {"reason": "测试"}),
]


def concrete(url: str, committee) -> str:
    return url.format(member=committee.member.id, meeting=committee.meeting.id, opinion=committee.opinion.id,
                      survey=committee.survey.id)


@pytest.mark.parametrize(("url", "data"), WRITES, ids=[url for url, _ in WRITES])
@pytest.mark.parametrize("who", ["parent_x", "caregiver_a", "health"])
def test_only_the_director_writes_and_nothing_changes_for_anyone_else(client_for, world, committee, engine, url, data, who):
    before = audit_actions(engine)
    response = client_for(getattr(world, who)).post(concrete(url, committee), data)
    assert response.status_code == 403
    assert audit_actions(engine) == before


@pytest.mark.parametrize(("url", "data"), WRITES, ids=[url for url, _ in WRITES])
def test_every_form_needs_its_csrf_token(client_for, world, committee, engine, url, data):
    response = client_for(world.director).post(concrete(url, committee), data, csrf_token=False)
    assert response.status_code == 403
    assert audit_actions(engine) == []


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", "/committee"), ("post", "/committee"), ("get", "/committee/members/{member}/void"),
     ("delete", "/committee/meetings/{meeting}"), ("get", "/committee/opinions/{opinion}/void")],
)
def test_the_wrong_method_is_405(client_for, world, committee, method, url):
    response = getattr(client_for(world.director).http, method)(concrete(url, committee))
    assert response.status_code == 405


@pytest.mark.parametrize("url", ["/committee/members/999/edit", "/committee/meetings/999/edit",
                                 "/committee/opinions/999/response", "/committee/activities/999/edit"])
def test_unknown_records_are_not_found(client_for, world, url):
    assert client_for(world.director).get(url).status_code == 404
