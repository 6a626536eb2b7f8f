"""Children pages, healthchecks-style: who may do what, that the data changed, and bad input."""

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from nursery_ops.audit import AuditEntry
from nursery_ops.children.models import (
    Child,
    ChildGuardian,
    Guardian,
    TrustedAdult,
    VaccinationStatus,
)
from nursery_ops.clock import local_today
from nursery_ops.health.models import ExamKind, HealthExam
from tests import factories as f

FUTURE = (local_today() + timedelta(days=1)).isoformat()


def fresh(engine, model, row_id):
    with Session(engine) as session:
        return session.get(model, row_id)


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def audit_actions(engine, child_id) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry.action).where(AuditEntry.child_id == child_id).order_by(AuditEntry.id)).all())


def new_child_data(**changes) -> dict:
    data = {
        "full_name": "钱多多",
        "sex": "male",
        "birth_date": f.birth_for_months(14).isoformat(),
        "allergies": "鸡蛋",
        "g1_full_name": "钱妈妈",
        "g1_relation": "母亲",
        "g1_phone": "135 0013 5000",
        "g1_may_pick_up": "on",
        "g1_may_view": "on",
    }
    return data | changes


def director_only_pages(world) -> list[str]:
    child = world.child_x.id
    return [
        "/children/new",
        f"/children/{child}/edit",
        f"/children/{child}/guardians/new",
        f"/children/{child}/guardians/{world.guardian_x.id}/edit",
        f"/children/{child}/guardians/{world.guardian_x.id}/end",
        f"/children/{child}/adults/new",
        f"/children/{child}/consent",
    ]


def health_pages(world) -> list[str]:
    """The health officer's part of admission: the vaccination check and health exams."""
    child = world.child_x.id
    return [f"/children/{child}/vaccination", f"/children/{child}/exams/new"]


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize("who", ["director", "caregiver_a", "health"])
def test_staff_see_the_list_and_the_record(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get("/children").status_code == 200
    response = client.get(f"/children/{world.child_x.id}")
    assert response.status_code == 200
    assert "王小明" in response.text and "王妈妈" in response.text


@pytest.mark.parametrize(("who", "reads_health"), [("director", True), ("health", True), ("caregiver_a", True), ("caregiver_b", False)])
def test_the_record_shows_health_only_to_those_who_care_for_the_child(world, client_for, engine, who, reads_health):
    response = client_for(getattr(world, who)).get(f"/children/{world.child_x.id}")
    assert response.status_code == 200 and "王小明" in response.text
    assert (f'href="/children/{world.child_x.id}/medication"' in response.text) is reads_health
    assert (f'href="/children/{world.child_x.id}/growth"' in response.text) is reads_health
    with Session(engine) as session:
        reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert len(reads) == (1 if reads_health else 0)


@pytest.mark.parametrize("url", ["/children", "/children/{x}", "/children/{y}"])
def test_parents_never_reach_children_pages(world, client_for, url):
    url = url.format(x=world.child_x.id, y=world.child_y.id)
    assert client_for(world.parent_x).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/children", "/children/new", "/children/1", "/children/1/edit"])
def test_anonymous_is_sent_to_sign_in(world, anonymous, url):
    response = anonymous.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_caregiver_and_health_may_not_open_director_forms(world, client_for):
    for person in (world.caregiver_a, world.health, world.parent_x):
        client = client_for(person)
        for url in director_only_pages(world):
            assert client.get(url).status_code == 403, (person.username, url)


def test_only_director_and_health_officer_open_the_health_forms(world, client_for):
    for person, status in ((world.director, 200), (world.health, 200), (world.caregiver_a, 403), (world.parent_x, 403)):
        for url in health_pages(world):
            assert client_for(person).get(url).status_code == status, (person.username, url)


def test_director_opens_every_form_as_page_and_as_htmx_fragment(world, client_for):
    client = client_for(world.director)
    for url in director_only_pages(world) + health_pages(world):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<html" in page.text
        if url != "/children/new":
            fragment = client.htmx_get(url)
            assert fragment.status_code == 200
            assert "<html" not in fragment.text and "<form" in fragment.text, url


@pytest.mark.parametrize(
    "url",
    ["/children/999", "/children/999/edit", "/children/999/consent", "/children/abc", "/children/999/guardians/new"],
)
def test_unknown_child_is_404(world, client_for, url):
    assert client_for(world.director).get(url).status_code == 404


def test_a_guardian_adult_or_exam_of_another_child_is_404(session, world, client_for):
    adult_y = f.make_trusted_adult(session, world.child_y)
    exam_y = HealthExam(child_id=world.child_y.id, kind=ExamKind.entry, exam_date=local_today(), institution="妇幼", passed=True)
    session.add(exam_y)
    session.commit()
    client = client_for(world.director)
    x = world.child_x.id
    for url in (
        f"/children/{x}/guardians/{world.guardian_y.id}/edit",
        f"/children/{x}/guardians/{world.guardian_y.id}/end",
        f"/children/{x}/adults/{adult_y.id}/edit",
        f"/children/{x}/adults/{adult_y.id}/remove",
        f"/children/{x}/exams/{exam_y.id}/void",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "wrong child", "relation": "母亲", "phone": "13800138000", "full_name": "x"}).status_code == 404, url
    assert fresh(world_engine := client.http.app.state.engine, TrustedAdult, adult_y.id).active
    assert fresh(world_engine, HealthExam, exam_y.id).voided_at is None


def test_the_record_shows_actions_to_the_director_only(world, client_for):
    url = f"/children/{world.child_x.id}"
    director_page = client_for(world.director).get(url).text
    caregiver_page = client_for(world.caregiver_a).get(url).text
    assert "Edit details" in director_page and f"/guardians/{world.guardian_x.id}/account" in director_page
    assert "Edit details" not in caregiver_page and "/account" not in caregiver_page.replace("/account/password", "")
    reading = ("log", "growth", "medication", "illness", "incidents")  # the health records staff may read
    actions = [link for link in re.findall(rf'href="{url}/([a-z-]+)', caregiver_page) if link not in reading]
    assert actions == []  # no edit, end, remove or photo actions
    assert f'href="{url}/' in director_page


def test_the_record_warns_of_allergies_and_missing_admission_items(session, world, client_for):
    world.child_x.allergies = "花生"
    session.add(world.child_x)
    session.commit()
    text = client_for(world.caregiver_a).get(f"/children/{world.child_x.id}").text
    assert "花生" in text and "alert-block" in text
    assert "Vaccination certificate (预防接种证) not checked" in text


# ---------------------------------------------------------------- the list


def test_list_filters_and_searches(session, world, client_for):
    baby = f.make_child(session, "孙小宝", months=8)
    f.make_guardian(session, baby, "孙爸爸", phone="13911112222")
    session.commit()
    client = client_for(world.caregiver_a)
    assert "孙小宝" in client.get("/children?band=infant").text
    assert "王小明" not in client.get("/children?band=infant").text
    text = client.get(f"/children?room={world.room_a.id}").text
    assert "王小明" in text and "赵小红" not in text
    assert "孙小宝" in client.get("/children?q=13911112222").text
    text = client.get("/children?status=none").text
    assert "孙小宝" in text and "王小明" not in text


def test_list_htmx_gets_only_the_results(world, client_for):
    response = client_for(world.director).htmx_get("/children?q=小红")
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="children-results"' in response.text
    assert "赵小红" in response.text and "王小明" not in response.text


def test_list_ignores_filters_it_cannot_read(world, client_for):
    response = client_for(world.director).get("/children?room=abc&band=giant&status=enrolled")
    assert response.status_code == 200
    assert "王小明" in response.text


# ---------------------------------------------------------------- registration


def test_director_registers_a_child_with_two_guardians(world, client_for, engine):
    data = new_child_data(g2_full_name="钱爸爸", g2_relation="父亲", g2_phone="13500135001", g2_may_pick_up="on")
    response = client_for(world.director).post("/children/new", data)
    assert response.status_code == 303
    with Session(engine) as session:
        child = session.exec(select(Child).where(Child.full_name == "钱多多")).one()
        links = session.exec(select(ChildGuardian).where(ChildGuardian.child_id == child.id)).all()
    assert response.headers["location"] == f"/children/{child.id}"
    assert child.allergies == "鸡蛋"
    assert sorted((link.relation, link.may_view) for link in links) == [("母亲", True), ("父亲", False)]
    assert fresh(engine, Guardian, links[0].guardian_id).phone == "13500135000"
    assert "child_created" in audit_actions(engine, child.id)


def test_caregiver_may_not_register_a_child(world, client_for, engine):
    assert client_for(world.caregiver_a).post("/children/new", new_child_data()).status_code == 403
    assert count(engine, Child) == 2


def test_registration_without_csrf_token_is_refused(world, client_for, engine):
    assert client_for(world.director).post("/children/new", new_child_data(), csrf_token=False).status_code == 403
    assert count(engine, Child) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": FUTURE}, "This date cannot be in the future."),
        ({"birth_date": "2026-02-30"}, "This date does not exist in the calendar."),
        ({"birth_date": "2019-05-01"}, "already old enough for kindergarten"),
        ({"birth_date": "1-2-3"}, "Enter a date as YYYY-MM-DD."),
        ({"g1_phone": "abc"}, "Enter a phone number of digits only, e.g. 13800138000."),
        ({"full_name": ""}, "This field is required."),
        ({"g1_full_name": ""}, "This field is required."),
        ({"g2_full_name": "钱爸爸"}, "This field is required."),  # a second guardian needs a phone and relation too
        ({"feeding_statement_on": FUTURE}, "This date cannot be in the future."),
    ],
)
def test_registration_refuses_bad_input_and_saves_nothing(world, client_for, engine, changes, message):
    response = client_for(world.director).post("/children/new", new_child_data(**changes))
    assert response.status_code == 400
    assert message in response.text
    assert 'value="鸡蛋"' in response.text or "鸡蛋" in response.text  # the form keeps what was typed
    assert count(engine, Child) == 2
    assert count(engine, Guardian) == 2


def test_a_child_under_six_months_is_registered_with_a_note(world, client_for, engine):
    client = client_for(world.director)
    response = client.post("/children/new", new_child_data(birth_date=f.birth_for_months(2).isoformat()))
    assert response.status_code == 303
    assert "Under 6 months: the child can start on" in client.get(response.headers["location"]).text


# ---------------------------------------------------------------- child details


def test_director_edits_details_with_audit(world, client_for, engine):
    child = world.child_x
    data = {"full_name": "王小明", "sex": "male", "birth_date": child.birth_date.isoformat(), "allergies": "牛奶"}
    response = client_for(world.director).post(f"/children/{child.id}/edit", data)
    assert response.status_code == 303
    assert fresh(engine, Child, child.id).allergies == "牛奶"
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "child_updated")).one()
    assert entry.before["allergies"] == "" and entry.after["allergies"] == "牛奶" and entry.actor_id == world.director.id


def test_caregiver_may_not_edit_details(world, client_for, engine):
    data = {"full_name": "改名", "sex": "male", "birth_date": world.child_x.birth_date.isoformat()}
    assert client_for(world.caregiver_a).post(f"/children/{world.child_x.id}/edit", data).status_code == 403
    assert fresh(engine, Child, world.child_x.id).full_name == "王小明"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_date": FUTURE}, "This date cannot be in the future."),
        ({"birth_date": "2025-02-29"}, "This date does not exist in the calendar."),
        ({"full_name": ""}, "This field is required."),
        ({"sex": "other"}, "Choose one of the options."),
    ],
)
def test_edit_details_refuses_bad_input(world, client_for, engine, changes, message):
    data = {"full_name": "王小明二", "sex": "male", "birth_date": world.child_x.birth_date.isoformat()} | changes
    response = client_for(world.director).post(f"/children/{world.child_x.id}/edit", data)
    assert response.status_code == 400 and message in response.text
    assert fresh(engine, Child, world.child_x.id).full_name == "王小明"
    assert "child_updated" not in audit_actions(engine, world.child_x.id)


# ---------------------------------------------------------------- guardians


def test_director_adds_edits_and_ends_a_guardian(world, client_for, engine):
    client = client_for(world.director)
    x = world.child_x.id
    response = client.post(f"/children/{x}/guardians/new", {"full_name": "王爸爸", "relation": "父亲", "phone": "13600136000", "may_pick_up": "on"})
    assert response.status_code == 303
    with Session(engine) as session:
        guardian = session.exec(select(Guardian).where(Guardian.full_name == "王爸爸")).one()
    link = lambda: fresh_link(engine, x, guardian.id)  # noqa: E731
    assert link().may_pick_up and not link().may_view

    response = client.post(f"/children/{x}/guardians/{guardian.id}/edit", {"relation": "父亲", "phone": "13600136001", "may_view": "on"})
    assert response.status_code == 303
    assert link().may_view and not link().may_pick_up
    assert fresh(engine, Guardian, guardian.id).phone == "13600136001"

    response = client.post(f"/children/{x}/guardians/{guardian.id}/end", {"reason": "法院判决"})
    assert response.status_code == 303
    ended = link()
    assert not ended.active and ended.ended_reason == "法院判决" and ended.ended_at is not None
    assert count(engine, ChildGuardian, ChildGuardian.guardian_id == guardian.id) == 1  # kept, not deleted
    assert {"guardian_linked", "guardian_link_updated", "guardian_link_ended"} <= set(audit_actions(engine, x))
    assert "Former guardians" in client.get(f"/children/{x}").text


def fresh_link(engine, child_id, guardian_id) -> ChildGuardian:
    with Session(engine) as session:
        return session.exec(
            select(ChildGuardian).where(ChildGuardian.child_id == child_id, ChildGuardian.guardian_id == guardian_id)
        ).one()


def test_ending_a_guardian_closes_the_family_view(world, client_for, engine):
    from nursery_ops.children.access import guardian_child_ids

    client_for(world.director).post(f"/children/{world.child_x.id}/guardians/{world.guardian_x.id}/end", {"reason": "监护权变更"})
    with Session(engine) as session:
        assert guardian_child_ids(session, world.guardian_x.id) == set()


def test_guardian_forms_refuse_bad_input(world, client_for, engine):
    client = client_for(world.director)
    x = world.child_x.id
    response = client.post(f"/children/{x}/guardians/new", {"full_name": "王爸爸", "relation": "父亲", "phone": "abc"})
    assert response.status_code == 400 and "Enter a phone number of digits only" in response.text
    response = client.post(f"/children/{x}/guardians/new", {"full_name": "王妈妈", "relation": "母亲", "phone": "13800138000"})
    assert response.status_code == 400 and "already a guardian of this child" in response.text
    response = client.post(f"/children/{x}/guardians/{world.guardian_x.id}/edit", {"relation": "", "phone": "13800138000"})
    assert response.status_code == 400 and "This field is required." in response.text
    response = client.post(f"/children/{x}/guardians/{world.guardian_x.id}/end", {"reason": ""})
    assert response.status_code == 400
    assert count(engine, Guardian) == 2
    assert fresh_link(engine, x, world.guardian_x.id).active


def test_caregiver_may_not_change_guardians(world, client_for, engine):
    client = client_for(world.caregiver_a)
    x = world.child_x.id
    assert client.post(f"/children/{x}/guardians/new", {"full_name": "王爸爸", "relation": "父亲", "phone": "13600136000"}).status_code == 403
    assert client.post(f"/children/{x}/guardians/{world.guardian_x.id}/end", {"reason": "test"}).status_code == 403
    assert count(engine, Guardian) == 2 and fresh_link(engine, x, world.guardian_x.id).active


# ---------------------------------------------------------------- trusted adults


def test_director_adds_edits_and_removes_a_trusted_adult(world, client_for, engine):
    client = client_for(world.director)
    x = world.child_x.id
    response = client.post(f"/children/{x}/adults/new", {"full_name": "王奶奶", "relation": "奶奶", "phone": "13900139000", "may_pick_up": "on"})
    assert response.status_code == 303
    with Session(engine) as session:
        adult = session.exec(select(TrustedAdult).where(TrustedAdult.child_id == x)).one()
    assert adult.may_pick_up and not adult.emergency_contact

    data = {"full_name": "王奶奶", "relation": "奶奶", "phone": "13900139001", "emergency_contact": "on"}
    assert client.post(f"/children/{x}/adults/{adult.id}/edit", data).status_code == 303
    changed = fresh(engine, TrustedAdult, adult.id)
    assert changed.emergency_contact and not changed.may_pick_up and changed.phone == "13900139001"

    assert client.post(f"/children/{x}/adults/{adult.id}/remove", {"reason": "搬家了"}).status_code == 303
    removed = fresh(engine, TrustedAdult, adult.id)
    assert not removed.active and removed.removed_reason == "搬家了" and removed.removed_at is not None
    assert client.get(f"/children/{x}/adults/{adult.id}/edit").status_code == 404
    assert {"trusted_adult_added", "trusted_adult_updated", "trusted_adult_removed"} <= set(audit_actions(engine, x))


def test_trusted_adult_form_refuses_bad_input(world, client_for, engine):
    response = client_for(world.director).post(
        f"/children/{world.child_x.id}/adults/new", {"full_name": "", "relation": "奶奶", "phone": "12"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.text and "Enter a phone number" in response.text
    assert count(engine, TrustedAdult) == 0


def test_caregiver_may_not_add_a_trusted_adult(world, client_for, engine):
    data = {"full_name": "王奶奶", "relation": "奶奶", "phone": "13900139000"}
    assert client_for(world.caregiver_a).post(f"/children/{world.child_x.id}/adults/new", data).status_code == 403
    assert count(engine, TrustedAdult) == 0


# ---------------------------------------------------------------- consent, vaccination, exams


def test_director_records_consent(world, client_for, engine):
    today = local_today().isoformat()
    response = client_for(world.director).post(f"/children/{world.child_x.id}/consent", {"consent_on": today, "guardian_id": world.guardian_x.id})
    assert response.status_code == 303
    child = fresh(engine, Child, world.child_x.id)
    assert child.consent_on == local_today() and child.consent_guardian_id == world.guardian_x.id
    assert "consent_recorded" in audit_actions(engine, world.child_x.id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent_on": FUTURE}, "This date cannot be in the future."),
        ({"guardian_id": "other"}, "Choose an active guardian of this child."),
        ({"consent_on": "2026-13-01"}, "This date does not exist in the calendar."),
    ],
)
def test_consent_refuses_bad_input(world, client_for, engine, changes, message):
    data = {"consent_on": local_today().isoformat(), "guardian_id": world.guardian_x.id} | changes
    if data["guardian_id"] == "other":
        data["guardian_id"] = world.guardian_y.id  # a guardian of another child
    response = client_for(world.director).post(f"/children/{world.child_x.id}/consent", data)
    assert response.status_code == 400 and message in response.text
    assert fresh(engine, Child, world.child_x.id).consent_on is None


def test_vaccination_sighted_and_pending(world, client_for, engine):
    client = client_for(world.director)
    x = world.child_x.id
    assert client.post(f"/children/{x}/vaccination", {"status": "pending"}).status_code == 303
    child = fresh(engine, Child, x)
    start = local_today() - timedelta(days=30)  # factories.enrol's default start
    assert child.vaccination_status is VaccinationStatus.pending and child.vaccination_due_on == start + timedelta(days=30)

    seen = (local_today() - timedelta(days=2)).isoformat()
    assert client.post(f"/children/{x}/vaccination", {"status": "sighted", "checked_on": seen}).status_code == 303
    child = fresh(engine, Child, x)
    assert child.vaccination_status is VaccinationStatus.sighted and child.vaccination_checked_on.isoformat() == seen
    assert child.vaccination_due_on is None
    assert audit_actions(engine, x).count("vaccination_recorded") == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "sighted"}, "Enter the date the certificate was seen."),
        ({"status": "sighted", "checked_on": FUTURE}, "This date cannot be in the future."),
        ({"status": "lost"}, "Choose one of the options."),
    ],
)
def test_vaccination_refuses_bad_input(world, client_for, engine, data, message):
    response = client_for(world.director).post(f"/children/{world.child_x.id}/vaccination", data)
    assert response.status_code == 400 and message in response.text
    assert fresh(engine, Child, world.child_x.id).vaccination_status is VaccinationStatus.missing


def test_director_records_and_voids_a_health_exam(world, client_for, engine):
    client = client_for(world.director)
    x = world.child_x.id
    data = {"kind": "entry", "exam_date": local_today().isoformat(), "institution": "市妇幼保健院", "passed": "on"}
    assert client.post(f"/children/{x}/exams/new", data).status_code == 303
    with Session(engine) as session:
        exam = session.exec(select(HealthExam).where(HealthExam.child_id == x)).one()
    assert exam.passed and exam.kind is ExamKind.entry and exam.recorded_by_id == world.director.id
    assert "市妇幼保健院" in client.get(f"/children/{x}").text

    assert client.post(f"/children/{x}/exams/{exam.id}/void", {"reason": "录错孩子"}).status_code == 303
    voided = fresh(engine, HealthExam, exam.id)
    assert voided.voided_at is not None and voided.void_reason == "录错孩子"
    assert "市妇幼保健院" not in client.get(f"/children/{x}").text
    assert {"health_exam_recorded", "health_exam_voided"} <= set(audit_actions(engine, x))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exam_date": FUTURE}, "This date cannot be in the future."),
        ({"institution": ""}, "This field is required."),
        ({"kind": "dental"}, "Choose one of the options."),
    ],
)
def test_health_exam_refuses_bad_input(world, client_for, engine, changes, message):
    data = {"kind": "periodic", "exam_date": local_today().isoformat(), "institution": "社区医院"} | changes
    response = client_for(world.director).post(f"/children/{world.child_x.id}/exams/new", data)
    assert response.status_code == 400 and message in response.text
    assert count(engine, HealthExam) == 0


def test_health_officer_records_an_exam_and_a_caregiver_may_not(world, client_for, engine):
    data = {"kind": "periodic", "exam_date": local_today().isoformat(), "institution": "社区医院", "passed": "on"}
    assert client_for(world.caregiver_a).post(f"/children/{world.child_x.id}/exams/new", data).status_code == 403
    assert count(engine, HealthExam) == 0
    assert client_for(world.health).post(f"/children/{world.child_x.id}/exams/new", data).status_code == 303
    assert count(engine, HealthExam) == 1


def test_the_record_does_not_accept_a_post(world, client_for):
    assert client_for(world.director).post(f"/children/{world.child_x.id}", {}).status_code == 405
