"""/family/children/{id}/health and /growth: a parent reads their child's health record, never the staff's internals."""

from datetime import timedelta

from nursery_ops.clock import local_today, utcnow
from nursery_ops.health.models import ReturnCertificate
from nursery_ops.illness.models import Illness, IllnessOutcome, MiddayCheck, MiddayOutcome, Observation, Skin, Spirits
from nursery_ops.incidents.models import IncidentCategory
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from tests import factories as f
from tests.family import builders as b


def health_of(client_for, world) -> str:
    response = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/health")
    assert response.status_code == 200
    return response.text


def test_morning_and_midday_checks_show_temperature_and_outcome_without_staff_notes(world, client_for, session):
    yesterday = b.days_ago(1)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, yesterday, temperature_tenths=368, rash=True,
              notes="内部：家长情绪激动")
    session.add(MiddayCheck(child_id=world.child_x.id, room_id=world.room_a.id, on_date=yesterday,
                            at=b.at(yesterday, 14, 45), temperature_tenths=371, spirits=Spirits.low, skin=Skin.normal,
                            outcome=MiddayOutcome.observe, notes="内部：午睡没睡着", by_id=world.health.id))
    session.commit()

    html = health_of(client_for, world)
    checks = html[html.index('id="morning-checks"'): html.index('id="midday-checks"')]
    assert "36.8 °C" in checks and "All well, joined the room" in checks and "Rash on the skin" in checks
    midday = html[html.index('id="midday-checks"'): html.index('id="illnesses"')]
    assert "37.1 °C" in midday and "Low spirits" in midday and "Kept under observation" in midday
    assert "内部" not in html


def test_an_illness_shows_its_steps_and_outcome_and_a_voided_one_is_hidden(world, client_for, session):
    on = b.days_ago(2)
    certificate = ReturnCertificate(child_id=world.child_x.id, required_since=on, reason="疑似手足口病")
    session.add(certificate)
    session.flush()
    illness = Illness(
        child_id=world.child_x.id, room_id=world.room_a.id, on_date=on, started_at=b.at(on, 10, 0),
        started_by_id=world.caregiver_a.id, symptoms="fever sores", temperature_tenths=385, suspected_infectious=True,
        suspected_disease="手足口病", return_certificate_id=certificate.id,
        isolated_at=b.at(on, 10, 5), isolation_place="保健室", guardian_notified_at=b.at(on, 10, 10),
        notified_whom="王妈妈（电话）", picked_up_at=b.at(on, 11, 0), collected_by="王妈妈",
        outcome=IllnessOutcome.went_home, outcome_at=b.at(on, 11, 0), outcome_note="建议就医",
    )
    session.add(illness)
    session.flush()
    session.add(Observation(child_id=world.child_x.id, room_id=world.room_a.id, on_date=on, at=b.at(on, 10, 30),
                            text="口腔有疱疹", temperature_tenths=386, illness_id=illness.id, by_id=world.health.id))
    session.add(Illness(child_id=world.child_x.id, room_id=world.room_a.id, on_date=on, started_at=b.at(on, 9, 0),
                        started_by_id=world.caregiver_a.id, symptoms="vomiting", voided_at=utcnow(),
                        voided_by_id=world.health.id, void_reason="记错孩子"))
    session.commit()

    html = health_of(client_for, world)
    record = html[html.index('id="illnesses"'): html.index('id="medication"')]
    assert "Fever, Mouth / hand sores" in record and "手足口病" in record and "38.5 °C" in record
    for step in ("10:05", "保健室", "10:10", "王妈妈（电话）", "11:00", "Went home", "建议就医", "口腔有疱疹"):
        assert step in record, step
    assert "Return certificate (返园证明) needed" in record
    assert "return certificate (返园证明) is needed before 王小明 comes back" in html  # the alert at the top
    assert "Vomiting" not in record and "记错孩子" not in html


def test_medication_shows_each_dose_given_with_drug_time_and_amount(world, client_for, session):
    today = local_today()
    authorisation = f.make_authorisation(session, world.child_x, world.guardian_x, world.health)
    slot = b.at(today, 8, 30).astimezone(b.get_settings().zone).time()
    session.add(MedicationDose(authorisation_id=authorisation.id, child_id=world.child_x.id, on_date=today, slot=slot,
                               outcome=DoseOutcome.given, at=b.at(today, 8, 34), amount_hundredths=250,
                               given_by_id=world.caregiver_a.id, checked_by_id=world.health.id))
    session.add(MedicationDose(authorisation_id=authorisation.id, child_id=world.child_x.id, on_date=today,
                               slot=b.at(today, 12, 0).astimezone(b.get_settings().zone).time(),
                               outcome=DoseOutcome.refused, at=b.at(today, 12, 5), reason="哭闹不肯喝",
                               given_by_id=world.caregiver_a.id))
    session.add(MedicationDose(authorisation_id=authorisation.id, child_id=world.child_x.id, on_date=today - timedelta(days=1),
                               slot=slot, outcome=DoseOutcome.given, at=b.at(today, 8, 40) - timedelta(days=1),
                               amount_hundredths=250, given_by_id=world.caregiver_a.id, voided_at=utcnow(),
                               voided_by_id=world.health.id, void_reason="记错了日子"))
    session.commit()

    record = health_of(client_for, world)
    record = record[record.index('id="medication"'): record.index('id="incidents"')]
    assert "阿莫西林颗粒" in record and "By mouth (口服)" in record and "at 08:30, 12:00" in record
    assert "08:34" in record and "Given" in record and "2.5 ml" in record
    assert "Not given: the child refused" in record and "哭闹不肯喝" in record
    assert "08:40" not in record  # the voided record


def test_incidents_show_first_aid_and_actions_but_no_suspected_abuse_and_no_police_report(world, client_for, session):
    f.make_incident(session, world.child_x, world.caregiver_a, place="户外滑梯", body_parts=["left_leg"],
                    first_aid="清洗伤口，碘伏消毒", cause="地垫移位", corrective_action="地垫已固定",
                    guardian_notified_at=utcnow(), guardian_notified_how="电话通知母亲",
                    police_station="不应出现的派出所", police_reference="POL-1",
                    sign_off_remarks="内部：园长意见")
    f.make_incident(session, world.child_x, world.director, category=IncidentCategory.suspected_abuse,
                    place="保密", description="保密描述", police_station="某派出所", police_reference="POL-2")
    session.commit()

    html = health_of(client_for, world)
    record = html[html.index('id="incidents"'): html.index('id="growth"')]
    for shown in ("Fall (跌落 / 摔伤)", "户外滑梯", "Left leg", "清洗伤口，碘伏消毒", "地垫移位", "地垫已固定", "Guardian notified",
                  "Being followed up"):
        assert shown in record, shown
    for hidden in ("派出所", "POL-", "保密", "Suspected abuse", "内部：园长意见"):
        assert hidden not in html, hidden


def test_exams_show_what_was_done_and_when_the_next_is_due(world, client_for, session):
    f.make_exam(session, world.child_x, b.days_ago(40), institution="区妇幼保健院", haemoglobin_g_l=121)
    voided = f.make_exam(session, world.child_x, b.days_ago(20), institution="录错的医院")
    voided.voided_at = utcnow()
    session.add(voided)
    session.commit()

    html = health_of(client_for, world)
    exams = html[html.index('id="exams"'):]
    assert "区妇幼保健院" in exams and "haemoglobin 121 g/L" in exams
    assert "录错的医院" not in exams
    assert "Periodic exam (定期体检)" in exams and "due " in exams


def test_the_latest_growth_measurement_and_the_charts_are_shown(world, client_for, session):
    f.make_measurement(session, world.child_x, world.health, b.days_ago(60), length_mm=800, weight_g=10500)
    f.make_measurement(session, world.child_x, world.health, b.days_ago(5), length_mm=815, weight_g=10900)
    wrong = f.make_measurement(session, world.child_x, world.health, b.days_ago(2), weight_g=19900)
    wrong.voided_at = utcnow()
    session.add(wrong)
    session.commit()

    html = health_of(client_for, world)
    assert "81.5 cm" in html and "10.90 kg" in html
    assert f'href="/family/children/{world.child_x.id}/growth"' in html

    growth = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/growth")
    assert growth.status_code == 200
    assert growth.text.count('class="growth-chart"') == 5
    assert growth.text.count('<circle class="point') >= 4  # two points on the weight and length charts at least
    assert "19.90 kg" not in growth.text
    assert "80.0 cm" in growth.text and "81.5 cm" in growth.text


def test_a_child_without_records_shows_the_empty_states(world, client_for):
    html = health_of(client_for, world)
    for message in ("No morning check recorded.", "No midday check recorded.", "No illness recorded.",
                    "No medicine given at the nursery.", "No incident recorded.", "No measurement yet."):
        assert message in html, message
