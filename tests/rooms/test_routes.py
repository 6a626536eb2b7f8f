"""Rooms pages: overview, one room, and the director's changes (healthchecks-style)."""

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.models import Role
from nursery_ops.policy import PolicyOverride
from nursery_ops.rooms.models import Room, RoomCaregiver, RoomType
from tests import factories as f


def fresh(session):
    """End the test's read transaction so it sees what the requests committed."""
    session.commit()
    session.expire_all()


def audit_actions(session, entity=None):
    fresh(session)
    statement = select(AuditEntry.action)
    if entity:
        statement = statement.where(AuditEntry.entity == entity)
    return list(session.exec(statement).all())


def rooms(session):
    fresh(session)
    return {room.name: room for room in session.exec(select(Room)).all()}


# --- Overview ---------------------------------------------------------------


def test_director_sees_each_room_with_occupancy_per_band(world, client_for, session):
    f.enrol(session, f.make_child(session, "孙小宝", months=30), world.room_b)
    session.commit()
    response = client_for(world.director).get("/rooms")
    assert response.status_code == 200
    page = response.text
    assert "A 托小班" in page and "B 托大班" in page
    assert "Toddler room (托小班)" in page and "Older room (托大班)" in page
    assert "1 / 15" in page and "2 / 20" in page
    assert "张老师" in page and "陈老师" in page
    assert "filed capacity (备案人数) 60" in page
    assert "New room" in page


def test_overview_warns_when_over_the_filed_capacity(world, client_for, session):
    session.add(PolicyOverride(key="filed_capacity", value="1", reason="test"))
    session.commit()
    page = client_for(world.director).get("/rooms").text
    assert "Children enrolled: 2, more than the filed capacity (备案人数) of 1." in page


def test_overview_uses_two_queries_whatever_the_number_of_rooms(world, session, engine):
    from sqlalchemy import event

    from nursery_ops.clock import local_today
    from nursery_ops.policy import DEFAULT_POLICY
    from nursery_ops.rooms.service import rooms_overview

    for index in range(5):
        room = f.make_room(session, f"Extra {index}", RoomType.older)
        f.enrol(session, f.make_child(session, f"Child {index}", months=30), room)
    session.commit()
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    overview = rooms_overview(session, local_today(), DEFAULT_POLICY)
    event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert len(overview.rows) == 7


def test_caregiver_sees_their_own_room_first(world, client_for):
    page = client_for(world.caregiver_b).get("/rooms").text
    assert page.index("B 托大班") < page.index("A 托小班")
    assert "My room" in page
    assert "New room" not in page


@pytest.mark.parametrize("who", ["health", "parent_x"])
def test_health_officer_and_parents_may_not_see_rooms(world, client_for, who):
    assert client_for(getattr(world, who)).get("/rooms").status_code == 403


def test_anonymous_is_sent_to_sign_in(anonymous, world):
    response = anonymous.get("/rooms")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# --- One room ---------------------------------------------------------------


def test_caregiver_sees_the_rooms_children_with_age_band_care_type_and_allergies(world, client_for, session):
    world.child_x.allergies = "花生"
    session.add(world.child_x)
    session.commit()
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}/manage").text
    assert "王小明" in page
    assert "18 months" in page
    assert "Toddler (托小)" in page
    assert "Full day (全日托)" in page
    assert "Mon Tue Wed Thu Fri" in page
    assert "花生" in page
    assert "张老师" in page
    assert "Edit room" not in page


def test_unknown_room_is_404(world, client_for):
    assert client_for(world.director).get("/rooms/9999").status_code == 404


# --- Create and edit ---------------------------------------------------------------


def test_director_creates_a_room_with_the_types_capacity(world, client_for, session):
    response = client_for(world.director).post("/rooms", {"name": "C 乳儿班", "room_type": "infant", "capacity": ""})
    assert response.status_code == 303
    room = rooms(session)["C 乳儿班"]
    assert (room.room_type, room.capacity) == (RoomType.infant, 10)
    assert response.headers["location"] == f"/rooms/{room.id}/manage"
    assert "room_created" in audit_actions(session, "room")


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"name": "a 托小班", "room_type": "toddler"}, "Another room already has this name."),
        ({"name": "", "room_type": "toddler"}, "This field is required."),
        ({"name": "C", "room_type": "infant", "capacity": "11"}, "A room of this type holds 1 to 10 children."),
        ({"name": "C", "room_type": "mixed", "capacity": "0"}, "A room of this type holds 1 to 18 children."),
        ({"name": "C", "room_type": "garden"}, "Choose one of the options."),
        ({"name": "C", "room_type": "older", "capacity": "lots"}, "Enter a whole number."),
    ],
)
def test_bad_room_is_refused_with_the_message_and_nothing_saved(world, client_for, session, data, field_message):
    response = client_for(world.director).post("/rooms", data)
    assert response.status_code == 400
    assert field_message in response.text
    assert 'class="field-error"' in response.text
    assert set(rooms(session)) == {"A 托小班", "B 托大班"}
    assert audit_actions(session, "room") == []


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_creates_rooms(world, client_for, session, who):
    client = client_for(getattr(world, who))
    assert client.get("/rooms/new").status_code == 403
    assert client.post("/rooms", {"name": "C", "room_type": "infant"}).status_code == 403
    assert client.post(f"/rooms/{world.room_a.id}/edit", {"name": "X", "room_type": "toddler"}).status_code == 403
    assert set(rooms(session)) == {"A 托小班", "B 托大班"}


def test_director_renames_a_room_and_changes_its_capacity(world, client_for, session):
    response = client_for(world.director).post(
        f"/rooms/{world.room_a.id}/edit", {"name": "A 小太阳", "room_type": "toddler", "capacity": "12"}
    )
    assert response.status_code == 303
    room = rooms(session)["A 小太阳"]
    assert room.capacity == 12
    fresh(session)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "room_updated")).one()
    assert entry.before["name"] == "A 托小班" and entry.after["capacity"] == 12


def test_capacity_cannot_go_below_the_children_in_the_room(world, client_for, session):
    f.enrol(session, f.make_child(session, "孙小宝", months=14), world.room_a)
    session.commit()
    response = client_for(world.director).post(
        f"/rooms/{world.room_a.id}/edit", {"name": "A 托小班", "room_type": "toddler", "capacity": "1"}
    )
    assert response.status_code == 400
    assert "Children holding a place in this room: 2. The capacity cannot be lower." in response.text
    assert rooms(session)["A 托小班"].capacity == 15


def test_room_type_cannot_change_under_children_of_other_ages(world, client_for, session):
    response = client_for(world.director).post(
        f"/rooms/{world.room_a.id}/edit", {"name": "A 托小班", "room_type": "infant", "capacity": ""}
    )
    assert response.status_code == 400
    assert "Children in this room outside the ages of that room type: 1." in response.text
    assert rooms(session)["A 托小班"].room_type == RoomType.toddler


def test_edit_form_shows_the_room(world, client_for):
    page = client_for(world.director).get(f"/rooms/{world.room_a.id}/edit").text
    assert 'value="A 托小班"' in page


# --- Caregivers and deactivation ---------------------------------------------------------------


def test_director_assigns_and_unassigns_a_caregiver(world, client_for, session):
    client = client_for(world.director)
    response = client.post(f"/rooms/{world.room_a.id}/caregivers", {"person_id": world.caregiver_b.id})
    assert response.status_code == 303
    assert session.exec(
        select(RoomCaregiver).where(RoomCaregiver.room_id == world.room_a.id, RoomCaregiver.person_id == world.caregiver_b.id)
    ).first()
    response = client.post(f"/rooms/{world.room_a.id}/caregivers/{world.caregiver_b.id}/remove")
    assert response.status_code == 303
    fresh(session)
    assert not session.exec(
        select(RoomCaregiver).where(RoomCaregiver.room_id == world.room_a.id, RoomCaregiver.person_id == world.caregiver_b.id)
    ).first()
    assert audit_actions(session, "room_caregiver") == ["caregiver_assigned", "caregiver_unassigned"]


def test_only_active_caregivers_can_be_assigned(world, client_for, session):
    inactive = f.make_person(session, "gone", Role.caregiver, active=False)
    session.commit()
    client = client_for(world.director)
    for person in (world.health, inactive):
        response = client.post(f"/rooms/{world.room_a.id}/caregivers", {"person_id": person.id})
        assert response.status_code == 400
        assert "Choose an active caregiver." in response.text
    assert audit_actions(session, "room_caregiver") == []


def test_caregiver_may_not_assign_caregivers(world, client_for):
    response = client_for(world.caregiver_a).post(f"/rooms/{world.room_a.id}/caregivers", {"person_id": world.caregiver_b.id})
    assert response.status_code == 403


def test_a_room_with_children_cannot_be_deactivated(world, client_for, session):
    response = client_for(world.director).post(f"/rooms/{world.room_a.id}/deactivate")
    assert response.status_code == 400
    assert "Children holding a place in this room: 1. Transfer or withdraw them first." in response.text
    assert rooms(session)["A 托小班"].active


def test_an_empty_room_is_deactivated_and_reactivated(world, client_for, session):
    empty = f.make_room(session, "D 混合班", RoomType.mixed)
    session.commit()
    client = client_for(world.director)
    assert client.post(f"/rooms/{empty.id}/deactivate").status_code == 303
    assert not rooms(session)["D 混合班"].active
    assert "Inactive" in client.get("/rooms").text
    assert client.post(f"/rooms/{empty.id}/activate").status_code == 303
    assert rooms(session)["D 混合班"].active
    assert audit_actions(session, "room") == ["room_deactivated", "room_activated"]


def test_posting_without_csrf_is_refused(world, client_for, session):
    response = client_for(world.director).post("/rooms", {"name": "C", "room_type": "infant"}, csrf_token=False)
    assert response.status_code == 403
    assert set(rooms(session)) == {"A 托小班", "B 托大班"}


def test_actions_refuse_the_wrong_method(world, client_for, session):
    client = client_for(world.director)
    assert client.get(f"/rooms/{world.room_a.id}/deactivate").status_code == 405
    assert rooms(session)["A 托小班"].active
