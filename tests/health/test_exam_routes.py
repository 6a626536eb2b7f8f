"""Recording and voiding a child's health exams, and the child's exams page (health officer, director)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today
from nursery_ops.health.models import ExamKind, HealthExam, HearingResult
from tests import factories as f


def exams(session, child):
    session.expire_all()
    return session.exec(select(HealthExam).where(HealthExam.child_id == child.id)).all()


def valid(**changes) -> dict:
    return {
        "kind": "periodic",
        "exam_date": local_today().isoformat(),
        "institution": "市妇幼保健院",
        "passed": "on",
        "haemoglobin_g_l": "118",
        "hearing": "pass",
        **changes,
    }


# ---------------------------------------------------------------- new exam


@pytest.mark.parametrize("who", ["health", "director"])
def test_the_exam_form_opens_for_health_staff_with_the_kind_asked_for(world, client_for, who):
    response = client_for(getattr(world, who)).get(f"/children/{world.child_x.id}/exams/new?kind=periodic")
    assert response.status_code == 200
    assert 'name="haemoglobin_g_l"' in response.text and 'inputmode="decimal"' in response.text
    assert '<option value="periodic" selected>' in response.text
    assert f'value="{local_today().isoformat()}"' in response.text  # the date defaults to today


def test_the_exam_form_opens_inline_for_htmx(world, client_for):
    response = client_for(world.health).htmx_get(f"/children/{world.child_x.id}/exams/new")
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="form-exam"' in response.text


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_exam_form_is_refused_to_caregivers_and_parents(world, client_for, session, who, method):
    client = client_for(getattr(world, who))
    url = f"/children/{world.child_x.id}/exams/new"
    response = client.get(url) if method == "get" else client.post(url, valid())
    assert response.status_code == 403
    assert exams(session, world.child_x) == []


def test_the_exam_form_sends_anonymous_to_sign_in(world, anonymous):
    response = anonymous.get(f"/children/{world.child_x.id}/exams/new")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_an_unknown_child_is_not_found(world, client_for):
    assert client_for(world.health).get("/children/9999/exams/new").status_code == 404


def test_an_exam_with_screenings_is_recorded_and_audited(world, client_for, session):
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/new", valid())
    assert response.status_code == 303
    assert response.headers["location"] == f"/children/{world.child_x.id}#exams"
    (exam,) = exams(session, world.child_x)
    assert (exam.kind, exam.passed, exam.haemoglobin_g_l, exam.hearing) == (ExamKind.periodic, True, 118, HearingResult.passed)
    assert exam.recorded_by_id == world.health.id
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "health_exam_recorded")).one()
    assert entry.child_id == world.child_x.id and entry.actor_id == world.health.id


def test_screenings_are_optional(world, client_for, session):
    response = client_for(world.director).post(
        f"/children/{world.child_x.id}/exams/new", valid(haemoglobin_g_l="", hearing="", kind="entry")
    )
    assert response.status_code == 303
    (exam,) = exams(session, world.child_x)
    assert exam.haemoglobin_g_l is None and exam.hearing is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"haemoglobin_g_l": "11.8"}, "haemoglobin_g_l", "Enter a whole number."),  # g/dL typed
        ({"haemoglobin_g_l": "1180"}, "haemoglobin_g_l", "This number is too large."),
        ({"haemoglobin_g_l": "12"}, "haemoglobin_g_l", "This number is too small."),
        ({"hearing": "deaf"}, "hearing", "Choose one of the options."),
        ({"kind": "monthly"}, "kind", "Choose one of the options."),
        ({"exam_date": ""}, "exam_date", "This field is required."),
        ({"exam_date": (local_today() + timedelta(days=1)).isoformat()}, "exam_date", "This date cannot be in the future."),
        ({"institution": ""}, "institution", "This field is required."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(world, client_for, session, changes, field, message):
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/new", valid(**changes))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert exams(session, world.child_x) == []


def test_an_exam_before_the_birth_date_is_refused(world, client_for, session):
    before_birth = (world.child_x.birth_date - timedelta(days=1)).isoformat()
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/new", valid(exam_date=before_birth))
    assert response.status_code == 400
    assert 'id="exam_date-error"' in response.text and "before the child&#39;s birth date" in response.text
    assert exams(session, world.child_x) == []


def test_a_post_without_the_csrf_token_is_refused(world, client_for, session):
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/new", valid(), csrf_token=False)
    assert response.status_code == 403
    assert exams(session, world.child_x) == []


# ---------------------------------------------------------------- void


@pytest.fixture
def exam(world, session):
    exam = f.make_exam(session, world.child_x, local_today() - timedelta(days=3))
    session.commit()
    return exam


def test_the_void_form_names_the_exam(world, client_for, exam):
    response = client_for(world.health).get(f"/children/{world.child_x.id}/exams/{exam.id}/void")
    assert response.status_code == 200 and "市妇幼保健院" in response.text


def test_the_void_and_new_exam_forms_are_audited_reads(world, client_for, session, exam):
    client = client_for(world.health)
    assert client.get(f"/children/{world.child_x.id}/exams/{exam.id}/void").status_code == 200
    assert client.get(f"/children/{world.child_x.id}/exams/new").status_code == 200
    assert client.get(f"/children/{world.child_x.id}/exams/99999/void").status_code == 404
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert [(r.actor_id, r.entity, r.child_id) for r in reads] == [(world.health.id, "health_exams", world.child_x.id)] * 2


def test_voiding_keeps_the_exam_with_who_when_and_why(world, client_for, session, exam):
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/{exam.id}/void", {"reason": "录错了孩子"})
    assert response.status_code == 303
    (kept,) = exams(session, world.child_x)
    assert kept.voided_at is not None and kept.voided_by_id == world.health.id and kept.void_reason == "录错了孩子"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "health_exam_voided")).one()
    assert entry.reason == "录错了孩子"


def test_voiding_needs_a_reason(world, client_for, session, exam):
    response = client_for(world.health).post(f"/children/{world.child_x.id}/exams/{exam.id}/void", {"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in response.text
    assert exams(session, world.child_x)[0].voided_at is None


def test_an_exam_of_another_child_is_not_found(world, client_for, exam):
    response = client_for(world.health).post(f"/children/{world.child_y.id}/exams/{exam.id}/void", {"reason": "错误记录"})
    assert response.status_code == 404


def test_a_voided_exam_cannot_be_voided_again(world, client_for, exam):
    client = client_for(world.health)
    url = f"/children/{world.child_x.id}/exams/{exam.id}/void"
    assert client.post(url, {"reason": "录错了孩子"}).status_code == 303
    assert client.post(url, {"reason": "录错了孩子"}).status_code == 404


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_voiding_is_refused_to_caregivers_and_parents(world, client_for, session, exam, who):
    response = client_for(getattr(world, who)).post(f"/children/{world.child_x.id}/exams/{exam.id}/void", {"reason": "错误记录"})
    assert response.status_code == 403
    assert exams(session, world.child_x)[0].voided_at is None


# ---------------------------------------------------------------- the child's exams page


def test_the_childs_exams_page_shows_exams_and_schedule_and_audits_the_read(world, client_for, session, exam):
    f.make_exam(session, world.child_x, local_today() - timedelta(days=400), haemoglobin_g_l=98, hearing=HearingResult.refer)
    session.commit()
    response = client_for(world.health).get(f"/children/{world.child_x.id}/exams")
    assert response.status_code == 200
    assert "98 g/L" in response.text and "Below 110 g/L" in response.text and "Refer" in response.text
    assert "Exam schedule" in response.text and "Haemoglobin" in response.text
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert [(entry.actor_id, entry.child_id, entry.entity) for entry in reads] == [(world.health.id, world.child_x.id, "health_exams")]


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_the_childs_exams_page_is_refused_to_caregivers_and_parents(world, client_for, session, who):
    assert client_for(getattr(world, who)).get(f"/children/{world.child_x.id}/exams").status_code == 403
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all() == []


# ---------------------------------------------------------------- the child record's exam section (for the lead to include)


def render_record_section(session, child, health_staff: bool) -> str:
    from types import SimpleNamespace

    from nursery_ops.health.service import child_exams, record_exams_context
    from nursery_ops.i18n import Translator
    from nursery_ops.labels import label_id
    from nursery_ops.policy import DEFAULT_POLICY
    from nursery_ops.templating import environment

    translator = Translator("en")
    values = {
        "_": translator.gettext,
        "t": translator,
        "label": lambda kind, value: translator.gettext(label_id(kind, value)),
        "today": local_today(),
        "child": child,
        "record": SimpleNamespace(exams=child_exams(session, child.id)),
        "health_staff": health_staff,
        **record_exams_context(session, child, local_today(), DEFAULT_POLICY),
    }
    return environment.get_template("health/_record_exams.html").render(values)


def test_the_record_section_shows_screenings_schedule_and_actions(world, session, exam):
    f.make_exam(session, world.child_x, local_today() - timedelta(days=30), haemoglobin_g_l=105, hearing=HearingResult.refer)
    session.commit()
    html = render_record_section(session, world.child_x, health_staff=True)
    assert "Haemoglobin 105 g/L" in html and "Below 110 g/L" in html and "Refer" in html
    assert "Exam schedule" in html and "Periodic exam" in html
    assert f"/children/{world.child_x.id}/exams/{exam.id}/void" in html and f"/children/{world.child_x.id}/exams/new" in html


def test_the_record_section_has_no_actions_for_caregivers(world, session, exam):
    html = render_record_section(session, world.child_x, health_staff=False)
    assert "/void" not in html and "/exams/new" not in html
