"""/children/{id}/growth: staff read (audited), the health officer and the director record and void."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today
from nursery_ops.growth.models import Measurement, Position
from tests import factories as f


def url(child) -> str:
    return f"/children/{child.id}/growth"


def count(session) -> int:
    session.commit()  # ends the test's read snapshot, so the app's writes show
    session.expire_all()
    return session.exec(select(func.count()).select_from(Measurement)).one()


def measurements(session, child) -> list[Measurement]:
    session.commit()
    session.expire_all()
    return list(session.exec(select(Measurement).where(Measurement.child_id == child.id).order_by(Measurement.id)).all())


def good(**values) -> dict:
    """A plausible measurement of an 18-month-old girl (child_x)."""
    return {"on_date": local_today().isoformat(), "length_cm": "81.0", "position": "lying", "weight_kg": "10.2",
            "head_cm": "45.5", **values}


# ---------------------------------------------------------------- who may read


@pytest.mark.parametrize("who", ["director", "health", "caregiver_a"])
def test_the_childs_caregiver_the_health_officer_and_the_director_read_the_growth_page(world, client_for, who):
    response = client_for(getattr(world, who)).get(url(world.child_x))
    assert response.status_code == 200
    assert "Growth" in response.text and "王小明" in response.text


def test_a_caregiver_of_another_room_reads_neither_the_page_nor_the_charts(world, client_for, session):
    client = client_for(world.caregiver_b)
    assert client.get(url(world.child_x)).status_code == 403
    assert client.get(f"{url(world.child_x)}/chart/wfa.svg").status_code == 403
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all() == []


def test_every_read_is_in_the_audit_log(world, client_for, session):
    client_for(world.caregiver_a).get(url(world.child_x))
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).one()
    assert (entry.actor_id, entry.entity, entry.child_id) == (world.caregiver_a.id, "growth", world.child_x.id)


def test_parents_are_refused(world, client_for):
    client = client_for(world.parent_x)
    assert client.get(url(world.child_x)).status_code == 403
    assert client.post(url(world.child_x), good()).status_code == 403


def test_anonymous_is_sent_to_sign_in(anonymous, world):
    response = anonymous.get(url(world.child_x))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_an_unknown_child_is_404(world, client_for):
    assert client_for(world.health).get("/children/999999/growth").status_code == 404


def test_only_health_staff_see_the_form(world, client_for):
    action = f'action="{url(world.child_x)}"'
    assert action in client_for(world.health).get(url(world.child_x)).text
    assert action not in client_for(world.caregiver_a).get(url(world.child_x)).text


# ---------------------------------------------------------------- recording


@pytest.mark.parametrize("who", ["health", "director"])
def test_health_staff_record_a_measurement(world, client_for, session, who):
    response = client_for(getattr(world, who)).post(url(world.child_x), good(form_token="t1"))
    assert response.status_code == 303
    assert response.headers["location"] == url(world.child_x) + "#measurements"
    (saved,) = measurements(session, world.child_x)
    assert (saved.length_mm, saved.position, saved.weight_g, saved.head_mm) == (810, Position.lying, 10200, 455)
    assert saved.by_id == getattr(world, who).id and not saved.confirmed
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "growth_measurement_recorded")).one()
    assert audit.child_id == world.child_x.id and audit.entity_id == saved.id
    assert audit.after["weight_g"] == 10200 and audit.after["id"] == saved.id


def test_the_page_lists_the_measurement_with_its_z_scores(world, client_for):
    client = client_for(world.health)
    client.post(url(world.child_x), good())
    html = client.get(url(world.child_x)).text
    assert "81.0 cm" in html and "10.20 kg" in html and "45.5 cm" in html
    assert html.count('class="zscore"') == 5  # five indicators, none beyond ±2 SD


def test_caregivers_may_read_but_not_record(world, client_for, session):
    assert client_for(world.caregiver_a).post(url(world.child_x), good()).status_code == 403
    assert count(session) == 0


def test_a_double_tap_saves_once(world, client_for, session):
    client = client_for(world.health)
    assert client.post(url(world.child_x), good(form_token="same")).status_code == 303
    assert client.post(url(world.child_x), good(form_token="same")).status_code == 303
    assert count(session) == 1


def test_weight_only_is_a_measurement(world, client_for, session):
    response = client_for(world.health).post(url(world.child_x), {"on_date": local_today().isoformat(), "weight_kg": "10,4"})
    assert response.status_code == 303
    assert measurements(session, world.child_x)[0].weight_g == 10400


@pytest.mark.parametrize(
    ("child", "values", "field", "message"),
    [
        ("child_x", {"weight_kg": "ten"}, "weight_kg", "Enter a number."),
        ("child_x", {"length_cm": "80,5,1"}, "length_cm", "Enter a number."),
        ("child_x", {"weight_kg": "0"}, "weight_kg", "Enter a weight between 0.5 and 50 kg."),
        ("child_x", {"weight_kg": "120"}, "weight_kg", "Enter a weight between 0.5 and 50 kg."),
        ("child_x", {"length_cm": "250"}, "length_cm", "Enter a length/height between 30 and 130 cm."),
        ("child_x", {"length_cm": "80.55"}, "length_cm", "Enter centimetres with at most one decimal, e.g. 82.5."),
        ("child_x", {"weight_kg": "10.2501"}, "weight_kg", "Enter kilograms with at most three decimals, e.g. 11.25."),
        ("child_x", {"head_cm": "5"}, "head_cm", "Enter a head circumference between 25 and 60 cm."),
        ("child_x", {"position": ""}, "position", "Choose how the child was measured: lying or standing."),
        ("child_x", {"position": "sitting"}, "position", "Choose one of the options."),
        ("child_x", {"on_date": (local_today() + timedelta(days=1)).isoformat()}, "on_date", "This date cannot be in the future."),
        ("child_x", {"on_date": "yesterday"}, "on_date", "Enter a date as YYYY-MM-DD."),
        ("child_y", {"head_cm": "48.0", "position": "standing", "length_cm": "92.0", "weight_kg": "13.5"}, "head_cm",
         "Head circumference is measured only under 24 months."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(world, client_for, session, child, values, field, message):
    response = client_for(world.health).post(url(getattr(world, child)), good(**values))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert message.replace("'", "&#39;") in response.text
    assert count(session) == 0


def test_an_empty_form_asks_for_a_value(world, client_for, session):
    response = client_for(world.health).post(url(world.child_x), {"on_date": local_today().isoformat()})
    assert response.status_code == 400
    assert "Enter at least one of length/height, weight or head circumference." in response.text
    assert count(session) == 0


# ---------------------------------------------------------------- implausible values


def test_an_implausible_weight_is_refused_then_saved_when_confirmed(world, client_for, session):
    client = client_for(world.health)
    refused = client.post(url(world.child_x), good(weight_kg="25.0", form_token="x1"))
    assert refused.status_code == 400
    assert "more than 5 SD from the WHO median: implausible" in refused.text
    assert 'name="confirmed"' in refused.text and 'id="weight_kg-error"' in refused.text
    assert count(session) == 0

    accepted = client.post(url(world.child_x), good(weight_kg="25.0", form_token="x1", confirmed="on"))
    assert accepted.status_code == 303
    (saved,) = measurements(session, world.child_x)
    assert saved.weight_g == 25000 and saved.confirmed
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "growth_measurement_recorded")).one()
    assert audit.reason == "implausible value confirmed after measuring again"


def test_a_drop_in_length_is_refused_then_saved_when_confirmed(world, client_for, session):
    f.make_measurement(session, world.child_x, world.health, local_today() - timedelta(days=30), length_mm=820)
    session.commit()
    client = client_for(world.health)
    refused = client.post(url(world.child_x), good(length_cm="80.5"))
    assert refused.status_code == 400
    assert "a child&#39;s length does not drop" in refused.text and "(82.0 cm)" in refused.text
    assert count(session) == 1

    assert client.post(url(world.child_x), good(length_cm="81.6")).status_code == 303  # within 5 mm
    assert client.post(url(world.child_x), good(length_cm="80.5", confirmed="on")).status_code == 303
    assert count(session) == 3


def test_a_voided_measurement_does_not_count_for_the_drop(world, client_for, session):
    wrong = f.make_measurement(session, world.child_x, world.health, local_today() - timedelta(days=30), length_mm=900)
    wrong.voided_at, wrong.void_reason = wrong.recorded_at, "typo"
    session.commit()
    assert client_for(world.health).post(url(world.child_x), good()).status_code == 303


# ---------------------------------------------------------------- WARN


def test_a_z_score_below_minus_2_is_shown_as_warn(world, client_for, session):
    f.make_measurement(session, world.child_x, world.health, weight_g=8000)  # 18-month-old girl, 8 kg
    session.commit()
    html = client_for(world.caregiver_a).get(url(world.child_x)).text
    assert "WARN: below −2 SD" in html
    assert 'id="growth-warnings"' in html and "Weight-for-age below −2 SD" in html


# ---------------------------------------------------------------- voiding


def test_the_health_officer_voids_a_measurement_with_a_reason(world, client_for, session):
    measurement = f.make_measurement(session, world.child_x, world.health, weight_g=10200)
    session.commit()
    client = client_for(world.health)
    void_url = f"{url(world.child_x)}/{measurement.id}/void"
    assert client.get(void_url).status_code == 200
    assert client.post(void_url, {"reason": "wrong child on the scale"}).status_code == 303
    (voided,) = measurements(session, world.child_x)
    assert voided.voided_by_id == world.health.id and voided.void_reason == "wrong child on the scale"
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "growth_measurement_voided")).one()
    assert audit.reason == "wrong child on the scale" and audit.before["voided_at"] is None
    html = client.get(url(world.child_x)).text
    assert "Voided" in html and "wrong child on the scale" in html


def test_a_void_needs_a_reason(world, client_for, session):
    measurement = f.make_measurement(session, world.child_x, world.health, weight_g=10200)
    session.commit()
    response = client_for(world.health).post(f"{url(world.child_x)}/{measurement.id}/void", {"reason": " "})
    assert response.status_code == 400
    assert 'id="reason-error"' in response.text
    assert measurements(session, world.child_x)[0].voided_at is None


@pytest.mark.parametrize("who", ["caregiver_a", "parent_x"])
def test_caregivers_and_parents_may_not_void(world, client_for, session, who):
    measurement = f.make_measurement(session, world.child_x, world.health, weight_g=10200)
    session.commit()
    response = client_for(getattr(world, who)).post(f"{url(world.child_x)}/{measurement.id}/void", {"reason": "x"})
    assert response.status_code == 403
    assert measurements(session, world.child_x)[0].voided_at is None


def test_a_measurement_of_another_child_is_404(world, client_for, session):
    measurement = f.make_measurement(session, world.child_y, world.health, weight_g=13000)
    session.commit()
    response = client_for(world.health).post(f"{url(world.child_x)}/{measurement.id}/void", {"reason": "x"})
    assert response.status_code == 404
    assert measurements(session, world.child_y)[0].voided_at is None


# ---------------------------------------------------------------- charts


def test_the_page_draws_five_charts_with_the_who_curves_and_the_points(world, client_for, session):
    for days, length, weight in ((90, 780, 9800), (60, 795, 10000), (30, 805, 10100)):
        f.make_measurement(session, world.child_x, world.health, local_today() - timedelta(days=days),
                           length_mm=length, weight_g=weight, head_mm=450)
    session.commit()
    html = client_for(world.health).get(url(world.child_x)).text
    assert html.count("<svg") == 5
    for sd in (-3, -2, 0, 2, 3):
        assert html.count(f'data-sd="{sd}"') >= 5
    assert html.count('<circle class="point') == 15  # three measurements on each of five charts


def test_the_svg_of_one_chart(world, client_for, session):
    f.make_measurement(session, world.child_x, world.health, length_mm=810, weight_g=10200)
    f.make_measurement(session, world.child_x, world.health, local_today() - timedelta(days=40), length_mm=800, weight_g=10000)
    session.commit()
    response = client_for(world.caregiver_a).get(f"{url(world.child_x)}/chart/wfa.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert svg.lstrip().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert [f'data-sd="{sd}"' in svg for sd in (-3, -2, 0, 2, 3)] == [True] * 5
    assert svg.count('<circle class="point') == 2
    assert "Weight-for-age" in svg


def test_weight_for_length_is_drawn_against_length(world, client_for, session):
    f.make_measurement(session, world.child_x, world.health, length_mm=810, weight_g=10200)
    session.commit()
    svg = client_for(world.health).get(f"{url(world.child_x)}/chart/wflh.svg").text
    assert "Length (cm)" in svg and svg.count('<circle class="point') == 1


def test_an_unknown_chart_is_404(world, client_for):
    assert client_for(world.health).get(f"{url(world.child_x)}/chart/iq.svg").status_code == 404


def test_parents_get_no_chart(world, client_for):
    assert client_for(world.parent_x).get(f"{url(world.child_x)}/chart/wfa.svg").status_code == 403


# ---------------------------------------------------------------- queries


def test_the_page_reads_a_fixed_number_of_queries(world, client_for, session, engine, queries):
    client = client_for(world.health)
    f.make_measurement(session, world.child_x, world.health, length_mm=810, weight_g=10200)
    session.commit()
    client.get(url(world.child_x))  # the session touch and first-visit work happen once
    with queries:
        assert client.get(url(world.child_x)).status_code == 200
    few = queries.count
    for days in range(30, 330, 30):
        f.make_measurement(session, world.child_x, world.caregiver_a if days % 60 else world.director,
                           local_today() - timedelta(days=days), length_mm=800 - days // 30, weight_g=10000)
    session.commit()
    with queries:
        assert client.get(url(world.child_x)).status_code == 200
    assert queries.count == few


def test_a_child_registered_before_birth_has_an_empty_growth_page(world, client_for, session):
    unborn = f.make_child(session, "未出生", months=-2)
    session.commit()
    response = client_for(world.health).get(url(unborn))
    assert response.status_code == 200
    assert "No measurement yet." in response.text


def test_opening_a_void_form_is_an_audited_read(world, client_for, session):
    measurement = f.make_measurement(session, world.child_x, world.health, weight_g=10200)
    session.commit()
    assert client_for(world.director).get(f"{url(world.child_x)}/{measurement.id}/void").status_code == 200
    session.commit()
    reads = session.exec(select(AuditEntry).where(AuditEntry.action == "health_record_read")).all()
    assert [(entry.actor_id, entry.entity) for entry in reads] == [(world.director.id, "growth")]


@pytest.mark.parametrize(("child", "position"), [("child_x", "lying"), ("child_y", "standing")])
def test_the_form_defaults_to_today_and_whos_position_for_the_age(world, client_for, child, position):
    html = client_for(world.health).get(url(getattr(world, child))).text
    assert f'value="{local_today().isoformat()}"' in html
    assert f'value="{position}" checked' in html
    assert 'inputmode="decimal"' in html
