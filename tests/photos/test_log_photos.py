"""Daily-log photos from the tablet: re-encoded without GPS, tagged children, seen by staff and the tagged families only."""


from PIL import Image
from sqlmodel import select

from nursery_ops.attendance.models import Attendance
from nursery_ops.auth.models import Role
from nursery_ops.clock import local_today, utcnow
from nursery_ops.dailylog.models import EntryKind, LogEntry, PhotoTag
from nursery_ops.photos.models import Photo
from tests import factories as f
from tests.photos.test_photos import jpeg_with_gps, stored_files


def arrive(session, room, child):
    session.add(Attendance(child_id=child.id, room_id=room.id, on_date=local_today(), check_in_at=utcnow(),
                           brought_by="妈妈", checked_in_by_id=1))
    session.flush()


def setup_room(session, world):
    """Child X and child Z in room A today; Z's family has an account; Y is in room B."""
    child_z = f.make_child(session, "李小华", months=20)
    guardian_z = f.make_guardian(session, child_z, "李妈妈", phone="13600136000")
    parent_z = f.make_person(session, "parent_z", Role.parent, full_name="李妈妈", guardian_id=guardian_z.id)
    f.enrol(session, child_z, world.room_a)
    arrive(session, world.room_a, world.child_x)
    arrive(session, world.room_a, child_z)
    session.commit()
    return child_z, parent_z


def take_photo(client, world, content=None, **data):
    target = f"/rooms/{world.room_a.id}/children/{world.child_x.id}/log/photo"
    return client.http.post(
        target, data={"csrf_token": client.token, **data}, files={"photo": ("IMG_0001.jpg", content or jpeg_with_gps(), "image/jpeg")}
    )


def fresh(session):
    session.rollback()
    session.expire_all()


def test_the_form_opens_the_camera(client_for, session, world):
    setup_room(session, world)
    page = client_for(world.caregiver_a).get(f"/rooms/{world.room_a.id}/children/{world.child_x.id}/log/photo").text
    assert 'type="file"' in page and 'accept="image/*"' in page and 'capture="environment"' in page
    assert "李小华" in page and 'name="also_tagged"' in page


def test_a_tablet_photo_is_stored_without_gps_and_tagged(client_for, session, world):
    child_z, _parent_z = setup_room(session, world)
    response = take_photo(client_for(world.caregiver_a), world, text="玩沙子", also_tagged=str(child_z.id), form_token="p-1")
    assert response.status_code == 303
    fresh(session)
    entry = session.exec(select(LogEntry)).one()
    photo = session.get(Photo, entry.photo_id)
    assert (entry.kind, entry.text, entry.by_id, photo.uploaded_by_id) == (
        EntryKind.photo, "玩沙子", world.caregiver_a.id, world.caregiver_a.id
    )
    assert set(session.exec(select(PhotoTag.child_id).where(PhotoTag.photo_id == photo.id)).all()) == {world.child_x.id, child_z.id}
    [stored] = stored_files()
    with Image.open(stored) as picture:
        assert not picture.getexif() and "exif" not in picture.info


def test_a_double_tap_stores_one_photo(client_for, session, world):
    setup_room(session, world)
    client = client_for(world.caregiver_a)
    assert take_photo(client, world, form_token="p-2").status_code == 303
    assert take_photo(client, world, form_token="p-2").status_code == 303
    fresh(session)
    assert len(session.exec(select(LogEntry)).all()) == 1 and len(stored_files()) == 1


def test_not_a_photo_or_a_child_elsewhere_saves_nothing(client_for, session, world):
    setup_room(session, world)
    client = client_for(world.caregiver_a)
    response = take_photo(client, world, content=b"%PDF-1.4 not a picture")
    assert response.status_code == 400 and 'id="photo-error"' in response.text
    response = take_photo(client, world, also_tagged=str(world.child_y.id))
    assert response.status_code == 400 and "Tag only children who are in the room today" in response.text
    fresh(session)
    assert session.exec(select(Photo)).all() == [] and session.exec(select(LogEntry)).all() == []
    assert stored_files() == []


def test_staff_and_tagged_families_see_the_photo_others_get_404(client_for, session, world):
    child_z, parent_z = setup_room(session, world)
    take_photo(client_for(world.caregiver_a), world, also_tagged=str(child_z.id))
    fresh(session)
    photo_id = session.exec(select(LogEntry.photo_id)).one()
    for person in (world.caregiver_a, world.caregiver_b, world.health, world.director, world.parent_x, parent_z):
        response = client_for(person).get(f"/photos/{photo_id}")
        assert response.status_code == 200, person.username
        assert response.headers["content-type"] == "image/jpeg"
    assert client_for(world.parent_y).get(f"/photos/{photo_id}").status_code == 404


def test_a_voided_photo_entry_hides_the_photo_from_families(client_for, session, world):
    child_z, parent_z = setup_room(session, world)
    client = client_for(world.caregiver_a)
    take_photo(client, world, also_tagged=str(child_z.id))
    fresh(session)
    entry = session.exec(select(LogEntry)).one()
    assert client.post(f"/rooms/{world.room_a.id}/log/{entry.id}/void", {"reason": "标错了孩子"}).status_code == 303
    assert client_for(parent_z).get(f"/photos/{entry.photo_id}").status_code == 404
    assert client_for(world.parent_x).get(f"/photos/{entry.photo_id}").status_code == 404
    assert client.get(f"/photos/{entry.photo_id}").status_code == 200
