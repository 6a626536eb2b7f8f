"""How the child's day reads on the family page: today on /family, a past day, the list of recent days."""

from datetime import timedelta

import pytest

from nursery_ops.attendance.models import AbsenceReason, CheckOutcome
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dailylog.models import Amount, EntryKind, Meal
from nursery_ops.medication.models import DoseOutcome, MedicationDose
from nursery_ops.illness.models import Illness, MiddayCheck, MiddayOutcome, Skin, Spirits
from nursery_ops.incidents.models import IncidentCategory
from tests import factories as f
from tests.family import builders as b


def day_url(child, on) -> str:
    return f"/family/children/{child.id}/days/{on.isoformat()}"


def today_of(html: str, child) -> str:
    """The child's today section of /family."""
    start = html.index(f'id="day-{child.id}-')
    return html[start: html.index("</section>", start)]


def test_today_shows_arrival_morning_check_and_every_kind_of_log_entry(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, temperature_tenths=366, throat_red=True,
              notes="家长说昨晚咳了两声，留意")
    b.a_full_day(session, world.child_x, world.room_a, world.caregiver_a)
    session.commit()

    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Arrived" in today and "08:05" in today and "brought by 王妈妈 (母亲)" in today
    assert "At the nursery now" in today
    assert "Morning check (晨检)" in today and "36.6 °C" in today and "All well, joined the room" in today
    assert "Red throat" in today and "二看" not in today and "nothing unusual found" not in today
    assert "家长说昨晚咳了两声" not in today  # the staff's own note on the check stays with the staff
    for shown in ("Breakfast: ate most", "Drank 150 ml", "Slept 12:00–13:30 (1 h 30 min)", "Nappy: Wet",
                  "Mood: Happy — 和小朋友一起笑", "绘本时间：《好饿的毛毛虫》", "今天自己用勺子吃饭了"):
        assert shown in today, shown
    assert "Slept 1 h 30 min" in today and "1 nappy" in today  # the day at a glance
    assert today.index("Breakfast") < today.index("绘本时间") < today.index("Slept 12:00")  # in time order


def test_the_departure_names_who_collected_the_child(world, client_for, session):
    grandma = f.make_trusted_adult(session, world.child_x, "王奶奶", relation="奶奶")
    attendance = b.arrival(session, world.child_x, world.room_a, world.caregiver_a, left=(17, 5))
    attendance.picked_up_by_adult_id = grandma.id
    session.add(attendance)
    session.commit()

    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "17:05" in today and "collected by 王奶奶 (奶奶)" in today
    assert "At the nursery now" not in today


def test_a_voided_entry_is_hidden_and_a_corrected_one_shows_only_its_current_version(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    wrong = b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.meal, meal=Meal.lunch,
                    amount=Amount.none, replaced=True)
    b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.meal, meal=Meal.lunch,
            amount=Amount.all, replaces_id=wrong.id, correction_reason="点错了")
    b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.note, text="记错孩子的备注",
            voided_at=utcnow(), voided_by_id=world.caregiver_a.id, void_reason="wrong child")
    session.commit()

    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Lunch: ate all" in today and "corrected" in today
    assert "Lunch: ate nothing" not in today
    assert "记错孩子的备注" not in today and "点错了" not in today


def test_sleep_checks_stay_with_the_room(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.sleep_check, clock=(12, 15))
    session.commit()
    assert "Sleep check" not in today_of(client_for(world.parent_x).get("/family").text, world.child_x)


def test_photos_show_only_where_the_child_is_tagged(world, client_for, session):
    classmate = f.make_child(session, "李小刚", months=19)
    f.enrol(session, classmate, world.room_a)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    b.arrival(session, classmate, world.room_a, world.caregiver_a)
    together = b.photo(session, classmate, world.room_a, world.caregiver_a, tagged=[world.child_x], text="一起搭积木")
    alone = b.photo(session, classmate, world.room_a, world.caregiver_a, clock=(11, 0), text="小刚的画")
    session.commit()

    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert f'src="/photos/{together.photo_id}"' in today
    assert f"/photos/{alone.photo_id}" not in today and "小刚的画" not in today


def test_a_photo_from_another_childs_log_shows_without_that_logs_caption(world, client_for, session):
    classmate = f.make_child(session, "李小刚", months=19)
    f.enrol(session, classmate, world.room_a)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    theirs = b.photo(session, classmate, world.room_a, world.caregiver_a, tagged=[world.child_x], text="小刚第一次自己走路")
    ours = b.photo(session, world.child_x, world.room_a, world.caregiver_a, clock=(11, 0), text="小明在搭积木")
    session.commit()
    parent = client_for(world.parent_x)

    today = today_of(parent.get("/family").text, world.child_x)
    assert f'src="/photos/{theirs.photo_id}"' in today and "小刚" not in today
    assert f'src="/photos/{ours.photo_id}"' in today and "小明在搭积木" in today
    page = parent.get(f"/family/children/{world.child_x.id}/photos/{theirs.photo_id}").text
    assert f'src="/photos/{theirs.photo_id}"' in page and "小刚" not in page
    assert "小明在搭积木" in parent.get(f"/family/children/{world.child_x.id}/photos/{ours.photo_id}").text


@pytest.mark.parametrize(
    ("outcome", "items", "shown"),
    [
        (CheckOutcome.admit, {}, ["All well, joined the room", "nothing unusual found"]),
        (CheckOutcome.observe, {"poor_sleep": True}, ["Joined the room, watched more closely today", "Slept badly at home"]),
        (CheckOutcome.send_home, {"feels_feverish": True, "rash": True},
         ["Could not stay: sent home", "Felt warm to the touch", "Rash on the skin"]),
    ],
)
def test_the_morning_check_reads_in_a_parents_words(world, client_for, session, outcome, items, shown):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, outcome=outcome, **items)
    session.commit()
    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    for text in shown:
        assert text in today, text
    assert "Admit" not in today and "Send home" not in today


def test_times_are_the_nurserys_local_time_not_utc(world, client_for, session):
    # 07:45 in Shanghai is 23:45 UTC of the day before.
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, arrived=(7, 45))
    b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.activity, clock=(8, 10), text="早操")
    session.commit()
    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "07:45" in today and ">08:10</time>" in today
    assert "23:45" not in today and ">00:10<" not in today


def test_a_photo_whose_entry_was_voided_is_not_shown(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    voided = b.photo(session, world.child_x, world.room_a, world.caregiver_a, text="拍错了")
    voided.voided_at, voided.voided_by_id, voided.void_reason = utcnow(), world.caregiver_a.id, "wrong child"
    session.add(voided)
    session.commit()
    assert f"/photos/{voided.photo_id}" not in client_for(world.parent_x).get("/family").text


def test_an_absence_shows_its_reason_and_the_symptoms_the_family_gave(world, client_for, session):
    b.absence(session, world.child_x, world.room_a, world.caregiver_a, symptoms="发烧 38.5 °C，咳嗽")
    session.commit()
    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Absent: Sick" in today and "发烧 38.5 °C，咳嗽" in today
    assert "Arrived" not in today


def test_an_absence_superseded_by_a_late_arrival_is_not_shown(world, client_for, session):
    row = b.absence(session, world.child_x, world.room_a, world.caregiver_a, reason=AbsenceReason.unknown)
    row.superseded_at = utcnow()
    session.add(row)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, arrived=(10, 0))
    session.commit()
    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Absent" not in today and "10:00" in today


def test_a_day_with_nothing_recorded_says_so(world, client_for):
    today = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Nothing recorded yet today." in today


def test_health_news_of_the_day_shows_checks_doses_illness_and_injury_but_never_suspected_abuse(world, client_for, session):
    today = local_today()
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    session.add(MiddayCheck(child_id=world.child_x.id, room_id=world.room_a.id, on_date=today, at=b.at(today, 14, 40),
                            temperature_tenths=368, spirits=Spirits.good, skin=Skin.normal, outcome=MiddayOutcome.fine,
                            notes="内部备注：午睡踢被子", by_id=world.health.id))
    authorisation = f.make_authorisation(session, world.child_x, world.guardian_x, world.health)
    session.add(MedicationDose(authorisation_id=authorisation.id, child_id=world.child_x.id, on_date=today,
                               slot=b.at(today, 8, 30).astimezone(b.get_settings().zone).time(), outcome=DoseOutcome.given,
                               at=b.at(today, 8, 35), amount_hundredths=250, given_by_id=world.caregiver_a.id,
                               checked_by_id=world.health.id))
    session.add(Illness(child_id=world.child_x.id, room_id=world.room_a.id, on_date=today, started_at=b.at(today, 9, 50),
                        started_by_id=world.caregiver_a.id, symptoms="fever cough"))
    f.make_incident(session, world.child_x, world.caregiver_a, place="滑梯", occurred_at=b.at(today, 10, 10))
    f.make_incident(session, world.child_x, world.director, category=IncidentCategory.suspected_abuse,
                    place="保密记录", occurred_at=b.at(today, 10, 20))
    session.commit()

    today_html = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert "Midday check (午检): 36.8 °C" in today_html and "内部备注" not in today_html
    assert "阿莫西林颗粒" in today_html and "given 2.5 ml" in today_html
    assert "Fever, Cough" in today_html
    assert "Fall (跌落 / 摔伤)" in today_html and "滑梯" in today_html
    assert "保密记录" not in today_html and "Suspected abuse" not in today_html
    assert f'href="/family/children/{world.child_x.id}/health"' in today_html


def test_two_midday_checks_both_show_and_the_arrival_and_morning_check_once(world, client_for, session):
    today = local_today()
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, arrived=(8, 20), temperature_tenths=366)
    for minute, tenths in ((10, 368), (40, 371)):
        session.add(MiddayCheck(child_id=world.child_x.id, room_id=world.room_a.id, on_date=today, at=b.at(today, 14, minute),
                                temperature_tenths=tenths, spirits=Spirits.good, skin=Skin.normal, outcome=MiddayOutcome.fine,
                                by_id=world.health.id))
    session.commit()
    today_html = today_of(client_for(world.parent_x).get("/family").text, world.child_x)
    assert today_html.index("36.8 °C") < today_html.index("37.1 °C")
    assert today_html.count("brought by") == 1 and today_html.count("Morning check (晨检)") == 1
    assert today_html.count("36.6 °C") == 1


def test_a_past_day_has_its_own_page_with_the_recorded_days_either_side(world, client_for, session):
    before, day, after = b.days_ago(9), b.days_ago(5), b.days_ago(2)
    for on in (before, day, after):
        b.arrival(session, world.child_x, world.room_a, world.caregiver_a, on, left=(17, 0))
    b.entry(session, world.child_x, world.room_a, world.caregiver_a, EntryKind.activity, day, text="户外玩沙")
    session.commit()

    response = client_for(world.parent_x).get(day_url(world.child_x, day))
    assert response.status_code == 200
    assert "户外玩沙" in response.text and "17:00" in response.text
    assert f'href="{day_url(world.child_x, before)}"' in response.text  # previous recorded day, not simply yesterday
    assert f'href="{day_url(world.child_x, after)}"' in response.text


def test_the_latest_day_has_no_next_link_and_a_day_to_come_is_not_found(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, b.days_ago(1))
    session.commit()
    parent = client_for(world.parent_x)
    html = parent.get(day_url(world.child_x, b.days_ago(1))).text
    assert 'rel="next"' not in html
    assert parent.get(day_url(world.child_x, local_today() + timedelta(days=1))).status_code == 404
    assert parent.get(day_url(world.child_x, world.child_x.birth_date - timedelta(days=1))).status_code == 404
    assert parent.get(f"/family/children/{world.child_x.id}/days/2026-02-30").status_code == 404


def test_the_list_of_recent_days_links_each_day_with_its_times_or_absence(world, client_for, session):
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, b.days_ago(3), arrived=(8, 15), left=(16, 45))
    b.absence(session, world.child_x, world.room_a, world.caregiver_a, b.days_ago(2), reason=AbsenceReason.leave)
    session.commit()

    html = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/days").text
    assert f'href="{day_url(world.child_x, b.days_ago(3))}"' in html and "08:15–16:45" in html
    assert f'href="{day_url(world.child_x, b.days_ago(2))}"' in html and "Absent: Leave" in html
    assert html.index(b.days_ago(2).isoformat()) < html.index(b.days_ago(3).isoformat())  # newest first


@pytest.mark.parametrize("path", ["days", "health", "growth", "money", "export"])
def test_a_childs_pages_link_to_each_other_and_back_to_the_family_page(world, client_for, path):
    html = client_for(world.parent_x).get(f"/family/children/{world.child_x.id}/{path}").text
    assert f'href="/family#child-{world.child_x.id}"' in html
    assert f'href="/family/children/{world.child_x.id}/{path}" aria-current="page"' in html


def test_a_tagged_photo_opens_on_its_own_page_and_any_other_photo_is_not_found(world, client_for, session):
    classmate = f.make_child(session, "李小刚", months=19)
    f.enrol(session, classmate, world.room_a)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a)
    together = b.photo(session, classmate, world.room_a, world.caregiver_a, tagged=[world.child_x], text="一起搭积木")
    alone = b.photo(session, classmate, world.room_a, world.caregiver_a, clock=(11, 0))
    voided = b.photo(session, world.child_x, world.room_a, world.caregiver_a, clock=(11, 30))
    voided.voided_at, voided.voided_by_id, voided.void_reason = utcnow(), world.caregiver_a.id, "wrong child"
    session.add(voided)
    session.commit()
    parent = client_for(world.parent_x)

    page = parent.get(f"/family/children/{world.child_x.id}/photos/{together.photo_id}")
    assert page.status_code == 200
    assert f'<img src="/photos/{together.photo_id}"' in page.text and "一起搭积木" not in page.text  # the classmate's log
    assert parent.get(f"/photos/{together.photo_id}").headers["content-type"] == "image/jpeg"
    for photo_id in (alone.photo_id, voided.photo_id):
        assert parent.get(f"/family/children/{world.child_x.id}/photos/{photo_id}").status_code == 404
        assert parent.get(f"/photos/{photo_id}").status_code == 404
