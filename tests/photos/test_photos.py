"""Photos: checked by content, re-encoded without metadata, stored outside the web root, shown only to who may see the child."""

from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from nursery_ops.audit import AuditEntry
from nursery_ops.children.models import Child, TrustedAdult
from nursery_ops.photos import service
from nursery_ops.photos.models import Photo
from nursery_ops.settings import get_settings
from tests import factories as f

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(400, 300), orientation: int | None = None) -> bytes:
    picture = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 54.0, 26.0), "E", (116.0, 23.0, 29.0)
    if orientation:
        exif[ORIENTATION] = orientation
    buffer = BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png(size=(64, 64), mode="RGBA") -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, (0, 128, 0, 0) if mode == "RGBA" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, url: str, content: bytes, filename="photo.jpg", content_type="image/jpeg"):
    return client.http.post(url, data={"csrf_token": client.token}, files={"photo": (filename, content, content_type)})


def stored_files() -> list:
    directory = get_settings().photo_dir
    return sorted(directory.iterdir()) if directory.exists() else []


def photo_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Photo)).one()


# ---------------------------------------------------------------- checking and re-encoding (no HTTP)


def test_exif_and_gps_are_gone_after_re_encoding():
    prepared = service.prepare(jpeg_with_gps())
    with Image.open(BytesIO(prepared.jpeg)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_exif_orientation_is_applied():
    # Orientation 6: the camera was turned; the upright picture is taller than wide.
    prepared = service.prepare(jpeg_with_gps(size=(400, 300), orientation=6))
    assert (prepared.width, prepared.height) == (300, 400)


def test_large_pictures_are_shrunk_to_the_long_side_limit():
    buffer = BytesIO()
    Image.new("RGB", (4000, 2000), "white").save(buffer, "JPEG")
    prepared = service.prepare(buffer.getvalue())
    assert (prepared.width, prepared.height) == (1600, 800)


def test_transparent_png_and_webp_are_accepted_as_jpeg():
    assert service.prepare(png()).width == 64
    buffer = BytesIO()
    Image.new("RGB", (50, 40), "blue").save(buffer, "WEBP")
    assert (service.prepare(buffer.getvalue()).width, service.prepare(buffer.getvalue()).height) == (50, 40)


def test_a_heic_photo_from_an_ipad_is_accepted_without_its_location():
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 26.0)})
    buffer = BytesIO()
    Image.new("RGB", (120, 90), (10, 120, 200)).save(buffer, "HEIF", exif=exif.tobytes())
    assert Image.open(BytesIO(buffer.getvalue())).getexif().get_ifd(GPS_IFD)  # the upload carries a location
    prepared = service.prepare(buffer.getvalue())
    with Image.open(BytesIO(prepared.jpeg)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (120, 90))
        assert not stored.getexif() and "exif" not in stored.info


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not a photo", b"", b"\xff\xd8\xff\xe0 truncated jpeg", b"GIF89a"],
)
def test_non_photos_are_refused(content):
    with pytest.raises(service.PhotoRefused):
        service.prepare(content)


def test_a_gif_is_refused_even_though_pillow_reads_it():
    buffer = BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    with pytest.raises(service.PhotoRefused) as refused:
        service.prepare(buffer.getvalue())
    assert "not a photo" in refused.value.message


def test_a_decompression_bomb_is_refused_before_decoding():
    # A 1-bit PNG of 10000 × 10000 pixels is tiny on disk and 100 megapixels in memory.
    buffer = BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < get_settings().photo_max_bytes
    with pytest.raises(service.PhotoRefused) as refused:
        service.prepare(buffer.getvalue())
    assert "too many pixels" in refused.value.message


# ---------------------------------------------------------------- upload routes


def test_director_uploads_a_child_photo_without_metadata(world, client_for, engine):
    client = client_for(world.director)
    response = upload(client, f"/children/{world.child_x.id}/photo", jpeg_with_gps())
    assert response.status_code == 303
    with Session(engine) as session:
        child = session.get(Child, world.child_x.id)
        photo = session.get(Photo, child.photo_id)
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.child_id == child.id)).all()
    path = get_settings().photo_dir / photo.storage_name
    assert stored_files() == [path]
    with Image.open(path) as stored:
        assert not stored.getexif() and "exif" not in stored.info
    assert {"photo_uploaded", "child_photo_set"} <= set(actions)
    assert f'src="/photos/{photo.id}"' in client.get(f"/children/{world.child_x.id}").text


def test_the_photo_store_is_outside_the_web_root(world):
    from nursery_ops.settings import PROJECT_ROOT

    assert not get_settings().photo_dir.resolve().is_relative_to((PROJECT_ROOT / "static").resolve())


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"just some text pretending", "photo.jpg", "This file is not a photo. Use a JPEG, PNG, WebP or HEIC picture."),
        (b"", "photo.jpg", "Choose a photo to upload."),
    ],
)
def test_bad_files_are_refused_with_the_form_and_nothing_saved(world, client_for, engine, content, filename, message):
    response = upload(client_for(world.director), f"/children/{world.child_x.id}/photo", content, filename)
    assert response.status_code == 400
    assert message in response.text and 'type="file"' in response.text
    assert photo_count(engine) == 0 and stored_files() == []


def test_an_oversize_file_is_refused(world, client_for, engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "photo_max_bytes", 10_000)
    big = jpeg_with_gps(size=(1200, 1200))
    assert len(big) > 10_000
    response = upload(client_for(world.director), f"/children/{world.child_x.id}/photo", big)
    assert response.status_code == 413 and "This photo file is too large" in response.text
    assert photo_count(engine) == 0 and stored_files() == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(world, client_for, engine):
    huge = b"\xff" * (get_settings().photo_max_bytes + 512 * 1024)
    response = upload(client_for(world.director), f"/children/{world.child_x.id}/photo", huge)
    assert response.status_code == 413
    assert "The file is larger than allowed." in response.text
    assert photo_count(engine) == 0 and stored_files() == []


def test_no_file_chosen_is_refused(world, client_for, engine):
    client = client_for(world.director)
    response = client.post(f"/children/{world.child_x.id}/photo", {})
    assert response.status_code == 400 and "Choose a photo to upload." in response.text


def test_caregiver_may_not_upload_and_unknown_child_is_404(world, client_for, engine):
    assert upload(client_for(world.caregiver_a), f"/children/{world.child_x.id}/photo", jpeg_with_gps()).status_code == 403
    assert upload(client_for(world.director), "/children/999/photo", jpeg_with_gps()).status_code == 404
    assert photo_count(engine) == 0 and stored_files() == []


def test_a_failed_database_write_leaves_no_file(world, engine, session, monkeypatch):
    from nursery_ops.auth.service import CurrentPerson

    me = CurrentPerson(world.director, frozenset(), "x")
    child = session.get(Child, world.child_x.id)
    prepared = service.prepare(jpeg_with_gps())
    child.sex = None  # the database refuses the row (NOT NULL) at flush time

    with pytest.raises(IntegrityError):
        service.set_child_photo(session, me, child, prepared)
    assert stored_files() == []


def test_director_uploads_a_trusted_adult_photo(session, world, client_for, engine):
    adult = f.make_trusted_adult(session, world.child_x)
    session.commit()
    response = upload(client_for(world.director), f"/children/{world.child_x.id}/adults/{adult.id}/photo", png(mode="RGB"), "a.png", "image/png")
    assert response.status_code == 303
    assert session.get(TrustedAdult, adult.id, populate_existing=True).photo_id is not None


def test_adult_photo_of_another_childs_adult_is_404(session, world, client_for):
    adult_y = f.make_trusted_adult(session, world.child_y)
    session.commit()
    response = upload(client_for(world.director), f"/children/{world.child_x.id}/adults/{adult_y.id}/photo", jpeg_with_gps())
    assert response.status_code == 404


def test_new_trusted_adult_with_a_bad_photo_saves_nothing(world, client_for, engine):
    client = client_for(world.director)
    response = client.http.post(
        f"/children/{world.child_x.id}/adults/new",
        data={"csrf_token": client.token, "full_name": "王奶奶", "relation": "奶奶", "phone": "13900139000", "may_pick_up": "on"},
        files={"photo": ("grandma.jpg", b"not an image at all", "image/jpeg")},
    )
    assert response.status_code == 400 and "This file is not a photo" in response.text
    with Session(engine) as check:
        assert check.exec(select(func.count()).select_from(TrustedAdult)).one() == 0
    assert photo_count(engine) == 0 and stored_files() == []


def test_new_trusted_adult_with_a_photo(world, client_for, engine):
    client = client_for(world.director)
    response = client.http.post(
        f"/children/{world.child_x.id}/adults/new",
        data={"csrf_token": client.token, "full_name": "王奶奶", "relation": "奶奶", "phone": "13900139000", "may_pick_up": "on"},
        files={"photo": ("grandma.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert response.status_code == 303
    with Session(engine) as check:
        adult = check.exec(select(TrustedAdult)).one()
    assert adult.photo_id is not None and len(stored_files()) == 1


# ---------------------------------------------------------------- serving


@pytest.fixture
def photos(session, world):
    """A photo of child X, and of a trusted adult of child X."""
    from nursery_ops.auth.service import CurrentPerson

    me = CurrentPerson(world.director, frozenset(), "x")
    child_photo = service.set_child_photo(session, me, world.child_x, service.prepare(jpeg_with_gps()))
    adult = f.make_trusted_adult(session, world.child_x)
    adult_photo = service.set_adult_photo(session, me, adult, service.prepare(png(mode="RGB")))
    return child_photo, adult_photo


@pytest.mark.parametrize("who", ["director", "caregiver_b", "health", "parent_x"])
def test_people_who_may_see_child_x_get_its_photos(world, client_for, photos, who):
    client = client_for(getattr(world, who))
    for photo in photos:
        response = client.get(f"/photos/{photo.id}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "private" in response.headers["cache-control"]
        assert Image.open(BytesIO(response.content)).format == "JPEG"


def test_another_family_gets_404_for_child_x_photos(world, client_for, photos):
    client = client_for(world.parent_y)
    for photo in photos:
        assert client.get(f"/photos/{photo.id}").status_code == 404


def test_a_guardian_who_may_not_view_gets_404(session, world, client_for, photos):
    from nursery_ops.children.models import ChildGuardian

    link = session.exec(select(ChildGuardian).where(ChildGuardian.guardian_id == world.guardian_x.id)).one()
    link.may_view = False
    session.add(link)
    session.commit()
    assert client_for(world.parent_x).get(f"/photos/{photos[0].id}").status_code == 404


def test_photo_serving_needs_sign_in_and_a_known_id(world, client_for, anonymous, photos):
    response = anonymous.get(f"/photos/{photos[0].id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client_for(world.director).get("/photos/999").status_code == 404
