"""Every upload route, attacked: size cap (413), content by magic bytes, decompression bombs, hostile file names, metadata.

The upload routes: a child's photo, a trusted adult's photo (its own page, and the adult's new and
edit forms) and a daily-log photo from the room tablet. Each test runs on every one of them.
"""

import json
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

import pytest
from PIL import Image
from sqlmodel import func, select

from nursery_ops.auth.csrf import FORM_OVERHEAD_BYTES
from nursery_ops.children.models import TrustedAdult
from nursery_ops.dailylog.models import LogEntry
from nursery_ops.photos.models import Photo
from nursery_ops.settings import PROJECT_ROOT, get_settings
from tests import factories as f
from tests.photos.test_log_photos import arrive
from tests.photos.test_photos import GPS_IFD, jpeg_with_gps

ADULT_FIELDS = {"full_name": "王奶奶", "relation": "奶奶", "phone": "13900139000", "may_pick_up": "on"}


@dataclass(frozen=True)
class UploadRoute:
    name: str
    who: str  # a person of the `world` fixture
    path: str  # with {child}, {adult}, {room}
    fields: tuple = ()

    def url(self, world, adult) -> str:
        return self.path.format(child=world.child_x.id, adult=adult.id, room=world.room_a.id)

    def form(self) -> dict:
        extra = {"form_token": secrets.token_hex(8)} if "/log/" in self.path else {}
        return {**dict(self.fields), **extra}


UPLOAD_ROUTES = [
    UploadRoute("child photo", "director", "/children/{child}/photo"),
    UploadRoute("adult photo", "director", "/children/{child}/adults/{adult}/photo"),
    UploadRoute("new adult", "director", "/children/{child}/adults/new", tuple(ADULT_FIELDS.items())),
    UploadRoute("edit adult", "director", "/children/{child}/adults/{adult}/edit", tuple(ADULT_FIELDS.items())),
    UploadRoute("log photo", "caregiver_a", "/rooms/{room}/children/{child}/log/photo"),
]
each_route = pytest.mark.parametrize("route", UPLOAD_ROUTES, ids=[route.name for route in UPLOAD_ROUTES])


@dataclass
class Target:
    """One upload route ready to post to, as its person, with what it keeps."""

    client: object
    url: str
    route: UploadRoute
    session: object

    def send(self, content: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg", *, chunked=False,
             htmx=False):
        body, boundary = multipart({"csrf_token": self.client.token, **self.route.form()}, filename, content, content_type)
        headers = {"content-type": f"multipart/form-data; boundary={boundary}", **({"HX-Request": "true"} if htmx else {})}
        payload = (body[i:i + 65536] for i in range(0, len(body), 65536)) if chunked else body
        return self.client.http.post(self.url, content=payload, headers=headers)

    def kept(self) -> tuple:
        """What an upload leaves behind: photo rows, stored files, trusted adults, log entries."""
        self.session.rollback()
        count = lambda model: self.session.exec(select(func.count()).select_from(model)).one()  # noqa: E731
        return count(Photo), sorted(stored_files()), count(TrustedAdult), count(LogEntry)


def multipart(fields: dict, filename: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart body written by hand: the file name goes out exactly as given (NUL, slashes and all)."""
    boundary = secrets.token_hex(12)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="'.encode()
                 + filename.encode("utf-8", "surrogateescape")
                 + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), boundary


def stored_files() -> list:
    directory = get_settings().photo_dir
    return list(directory.iterdir()) if directory.exists() else []


@pytest.fixture
def target(request, world, session, client_for) -> Target:
    route: UploadRoute = request.param
    adult = f.make_trusted_adult(session, world.child_x)
    arrive(session, world.room_a, world.child_x)
    session.commit()
    return Target(client_for(getattr(world, route.who)), route.url(world, adult), route, session)


each_target = pytest.mark.parametrize("target", UPLOAD_ROUTES, ids=[route.name for route in UPLOAD_ROUTES], indirect=True)


def assert_refused(target: Target, response, status: int, message: str, before: tuple) -> None:
    assert response.status_code == status, response.text[:500]
    assert message in response.text
    assert target.kept() == before


# ---------------------------------------------------------------- pictures


def png_named_anything(size=(80, 60)) -> bytes:
    """A PNG that carries a location in an eXIf chunk."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 13.0, 40.0), "E", (121.0, 28.0, 10.0)
    buffer = BytesIO()
    Image.new("RGB", size, (20, 160, 90)).save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


def location_of(content: bytes) -> dict:
    with Image.open(BytesIO(content)) as picture:
        picture.load()  # a PNG's eXIf chunk may come after its pixels
        return dict(picture.getexif().get_ifd(GPS_IFD))


@lru_cache
def bomb(side: int) -> bytes:
    """A 1-bit PNG, a few kilobytes on disk and side² pixels once decoded."""
    buffer = BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")
    return buffer.getvalue()


NOT_PHOTOS = {
    "text": b"name,phone\n\xe7\x8e\x8b\xe5\xa6\x88\xe5\xa6\x88,13800138000\n",
    "html": b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
    "pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "jpeg magic, then junk": b"\xff\xd8\xff\xe0" + b"\x00" * 64,
}
HOSTILE_NAMES = ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/cron.d/nursery.jpg", "photo\x00.php",
                 ".htaccess", "照片 (1).JPG"]


# ---------------------------------------------------------------- size


@each_target
def test_a_photo_over_the_size_cap_is_refused_with_413_and_the_form_says_why(target, monkeypatch):
    monkeypatch.setattr(get_settings(), "photo_max_bytes", 20_000)
    before = target.kept()
    response = target.send(b"\xff\xd8\xff\xe0" + secrets.token_bytes(30_000))
    assert_refused(target, response, 413, "This photo file is too large", before)
    assert 'type="file"' in response.text  # the form again, to choose a smaller photo


@each_target
@pytest.mark.parametrize("chunked", [False, True], ids=["declared length", "chunked"])
def test_a_body_far_over_the_limit_is_refused_with_413_before_it_is_stored(target, monkeypatch, chunked):
    monkeypatch.setattr(get_settings(), "photo_max_bytes", 20_000)
    before = target.kept()
    response = target.send(secrets.token_bytes(20_000 + FORM_OVERHEAD_BYTES + 10_000), chunked=chunked)
    assert_refused(target, response, 413, "The file is larger than allowed.", before)


LOG_PHOTO = [route for route in UPLOAD_ROUTES if route.name == "log photo"]


@pytest.mark.parametrize("target", LOG_PHOTO, ids=["log photo"], indirect=True)
def test_on_the_tablet_a_photo_over_the_cap_is_refused_in_the_childs_tile(target, monkeypatch):
    monkeypatch.setattr(get_settings(), "photo_max_bytes", 20_000)
    response = target.send(b"\xff\xd8\xff\xe0" + secrets.token_bytes(30_000), htmx=True)
    assert response.status_code == 413 and "This photo file is too large" in response.text
    assert "<html" not in response.text and 'id="photo-error"' in response.text


@pytest.mark.parametrize("target", LOG_PHOTO, ids=["log photo"], indirect=True)
def test_on_the_tablet_a_body_far_over_the_limit_is_refused_in_the_main_area(target, monkeypatch):
    monkeypatch.setattr(get_settings(), "photo_max_bytes", 20_000)
    response = target.send(secrets.token_bytes(20_000 + FORM_OVERHEAD_BYTES + 10_000), htmx=True)
    assert response.status_code == 413 and "The file is larger than allowed." in response.text
    assert "<html" not in response.text
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"]) == ("#main", "innerHTML")


def test_htmx_swaps_a_413_in_so_the_refusal_is_seen():
    config = json.loads(re.search(r"""name="htmx-config" content='([^']*)'""",
                                  (PROJECT_ROOT / "templates" / "base.html").read_text()).group(1))
    codes = [rule["code"] for rule in config["responseHandling"]]
    assert codes.index("413") < codes.index("[45]..") and config["responseHandling"][codes.index("413")]["swap"] is True


# ---------------------------------------------------------------- content


@each_target
def test_a_file_that_is_not_a_photo_is_refused_whatever_it_is_called(target):
    before = target.kept()
    for kind, content in NOT_PHOTOS.items():
        response = target.send(content, "photo.jpg", "image/jpeg")
        assert response.status_code == 400, kind
        assert "This file is not a photo" in response.text and 'id="photo-error"' in response.text, kind
    assert target.kept() == before


@each_target
@pytest.mark.parametrize("side", [10_000, 15_000], ids=["over our 50 MP cap", "over Pillow's bomb limit"])
def test_a_decompression_bomb_is_refused_not_a_crash(target, side):
    before = target.kept()
    assert len(bomb(side)) < 100_000
    response = target.send(bomb(side), "photo.png", "image/png")
    assert_refused(target, response, 400, "This picture has too many pixels", before)


# ---------------------------------------------------------------- names and metadata


@each_target
def test_a_photo_is_stored_under_a_generated_name_whatever_the_client_calls_it(target, data_dir):
    outside_before = {path for path in data_dir.parent.rglob("*") if not path.is_relative_to(get_settings().photo_dir)}
    known = {photo.storage_name for photo in target.session.exec(select(Photo)).all()}
    for name in HOSTILE_NAMES:
        response = target.send(jpeg_with_gps(), name)
        assert response.status_code == 303, (name, response.text[:300])
    target.session.rollback()
    new = [photo for photo in target.session.exec(select(Photo)).all() if photo.storage_name not in known]
    assert len(new) == len(HOSTILE_NAMES)
    for photo in new:
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", photo.storage_name)
        assert (get_settings().photo_dir / photo.storage_name).is_file()
    outside_after = {path for path in data_dir.parent.rglob("*") if not path.is_relative_to(get_settings().photo_dir)}
    # Nothing written beside the photo store (but the workers' write turn on a database: db._file_turn).
    def written(paths):
        return {path for path in paths if not path.name.endswith(".write-lock")}

    assert written(outside_after) == written(outside_before)


@each_target
@pytest.mark.parametrize(("picture", "filename"), [(jpeg_with_gps, "IMG_0001.jpg"), (png_named_anything, "IMG_0002.jpg")],
                         ids=["jpeg with gps", "png named jpg"])
def test_a_photo_is_re_encoded_as_jpeg_without_its_location(target, picture, filename):
    content = picture()
    assert location_of(content)  # the upload carries one
    known = {path.name for path in stored_files()}
    assert target.send(content, filename).status_code == 303
    [stored] = [path for path in stored_files() if path.name not in known]
    with Image.open(stored) as kept:
        kept.load()
        assert kept.format == "JPEG" and not kept.getexif() and "exif" not in kept.info
    assert not location_of(stored.read_bytes())

