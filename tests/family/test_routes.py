"""/family: a parent sees their own children, read-only, and nobody else's."""

import re

import pytest
from sqlmodel import select

from nursery_ops.auth.models import Role
from nursery_ops.children.models import ChildGuardian
from nursery_ops.clock import local_today
from nursery_ops.enrolment.models import CareType, Enrolment, EnrolmentStatus, HalfDaySession
from tests import factories as f


def test_parent_sees_their_child_and_not_another_family(world, client_for, session):
    f.make_trusted_adult(session, world.child_x, "王奶奶", phone="13911112222", emergency_contact=True)
    f.make_trusted_adult(session, world.child_y, "赵外婆", relation="外婆", phone="13933334444")
    session.commit()

    response = client_for(world.parent_x).get("/family")
    assert response.status_code == 200
    assert "王小明" in response.text
    assert "A 托小班" in response.text and "Full day" in response.text
    assert "王奶奶" in response.text and "13911112222" in response.text
    assert "18 months" in response.text
    for other in ("赵小红", "B 托大班", "赵外婆", "13933334444", "赵爸爸"):
        assert other not in response.text


def test_the_card_shows_schedule_allergies_guardians_and_pick_up_list(world, client_for, session):
    world.child_x.allergies = "花生"
    f.make_guardian(session, world.child_x, "王爸爸", relation="父亲", phone="13522223333", may_pick_up=False)
    f.make_trusted_adult(session, world.child_x, "李阿姨", relation="保姆", phone="13644445555", may_pick_up=False)
    session.add(world.child_x)
    session.commit()

    html = client_for(world.parent_x).get("/family").text
    assert "花生" in html
    assert "Mon" in html and "Fri" in html
    assert "王爸爸" in html and "13522223333" in html  # a guardian, though not on the pick-up list
    pick_up = html[html.index("Who may pick up") : html.index("Something wrong")]
    assert "王妈妈" in pick_up and "王爸爸" not in pick_up and "李阿姨" not in pick_up


def test_a_parent_of_two_children_sees_both(world, client_for, session):
    sibling = f.make_child(session, "王小丽", months=8)
    f.link_guardian(session, sibling, world.guardian_x, "母亲")
    f.enrol(session, sibling, None, care_type=CareType.half_day, status=EnrolmentStatus.waitlisted,
            half_day_session=HalfDaySession.morning)
    session.commit()

    html = client_for(world.parent_x).get("/family").text
    assert "王小明" in html and "王小丽" in html
    assert "On the waitlist" in html and "Half day" in html and "Morning" in html


@pytest.mark.parametrize("change", [{"may_view": False}, {"active": False}])
def test_a_link_without_view_right_or_ended_hides_the_child(world, client_for, session, change):
    link = session.exec(select(ChildGuardian).where(ChildGuardian.guardian_id == world.guardian_x.id)).one()
    for key, value in change.items():
        setattr(link, key, value)
    session.add(link)
    session.commit()

    response = client_for(world.parent_x).get("/family")
    assert response.status_code == 200
    assert "王小明" not in response.text
    assert "No children are linked to your account yet." in response.text


def test_a_parent_account_without_a_guardian_sees_the_empty_state(world, client_for, session):
    person = f.make_person(session, "lonely", Role.parent)
    session.commit()
    response = client_for(person).get("/family")
    assert response.status_code == 200
    assert "No children are linked to your account yet." in response.text


def test_a_photo_is_shown_from_the_guarded_photo_route(world, client_for, session):
    from nursery_ops.photos.models import Photo

    photo = Photo(storage_name="abc.jpg", content_type="image/jpeg", width=10, height=10, byte_size=100)
    session.add(photo)
    session.flush()
    world.child_x.photo_id = photo.id
    session.add(world.child_x)
    session.commit()
    assert f'src="/photos/{photo.id}"' in client_for(world.parent_x).get("/family").text


@pytest.mark.parametrize("who", ["director", "caregiver_a", "health"])
def test_staff_without_the_parent_role_are_refused(world, client_for, who):
    assert client_for(getattr(world, who)).get("/family").status_code == 403


def test_anonymous_is_sent_to_sign_in(anonymous):
    response = anonymous.get("/family")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/family"


FAMILY_PAGES = ["/family", "/family/children/{id}/days", "/family/children/{id}/days/{today}", "/family/children/{id}/health",
                "/family/children/{id}/growth", "/family/children/{id}/money", "/family/children/{id}/export",
                "/family/children/{id}/export.zip"]
# The top bar's language switch and sign-out change no record: every other form would.
TOP_BAR_FORMS = {"/language", "/logout"}


def family_urls(world) -> list[str]:
    return [url.format(id=world.child_x.id, today=local_today().isoformat()) for url in FAMILY_PAGES]


def test_the_family_pages_are_read_only(world, client_for):
    parent = client_for(world.parent_x)
    for url in family_urls(world):
        response = parent.get(url)
        assert response.status_code == 200, url
        actions = set(re.findall(r'<form[^>]*action="([^"]*)"', response.text))
        assert actions <= TOP_BAR_FORMS, (url, actions)
        assert parent.post(url, {}).status_code == 405, url


def test_every_family_page_is_sent_with_no_store(world, client_for, session):
    from tests.family import builders as b

    photo = b.photo(session, world.child_x, world.room_a, world.caregiver_a)
    session.commit()
    parent = client_for(world.parent_x)
    for url in [*family_urls(world), f"/family/children/{world.child_x.id}/photos/{photo.photo_id}", "/no-such-page"]:
        assert parent.get(url).headers["cache-control"] == "no-store", url


def test_static_files_stay_cacheable(client_for, world):
    assert "no-store" not in client_for(world.parent_x).get("/static/app.css").headers.get("cache-control", "")


def test_a_member_of_staff_who_is_also_a_parent_sees_only_their_own_children_here(world, client_for, session):
    both = f.make_person(session, "carer_parent", Role.caregiver, Role.parent, guardian_id=world.guardian_x.id)
    session.commit()
    client = client_for(both)
    assert client.get(f"/family/children/{world.child_x.id}/health").status_code == 200
    assert client.get(f"/family/children/{world.child_y.id}/health").status_code == 404


def test_a_child_who_left_stays_on_the_family_page_with_every_past_record_readable(world, client_for, session):
    from tests.family import builders as b

    last_day = b.days_ago(3)
    b.arrival(session, world.child_x, world.room_a, world.caregiver_a, last_day, left=(16, 30))
    b.a_full_day(session, world.child_x, world.room_a, world.caregiver_a, last_day)
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    enrolment.status, enrolment.end_date, enrolment.withdrawal_reason = EnrolmentStatus.withdrawn, last_day, "搬家"
    session.add(enrolment)
    session.commit()
    parent = client_for(world.parent_x)

    home = parent.get("/family").text
    card = home[home.index(f'id="child-{world.child_x.id}"'):]
    assert "王小明" in card and "Left the nursery on" in card and "Nothing recorded yet today." not in card
    assert world.room_a.name not in card[: card.index("</header>")]
    for url in family_urls(world):
        assert parent.get(url).status_code == 200, url
    day = parent.get(f"/family/children/{world.child_x.id}/days/{last_day.isoformat()}").text
    assert "今天自己用勺子吃饭了" in day and "16:30" in day
