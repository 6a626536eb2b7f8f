"""Photos of children and trusted adults: checked, re-encoded, stored outside the web root.

An upload is read in chunks up to `photo_max_bytes`, recognised by its content
(not its name), refused when its pixel count could exhaust memory, turned
upright (EXIF orientation), shrunk to `MAX_SIDE` and re-encoded as JPEG — which
drops EXIF, GPS and any other metadata. The file is written only after all
checks pass and removed again if the database refuses the row.
"""

import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import Session, select
from starlette.datastructures import UploadFile

from nursery_ops import audit
from nursery_ops.auth.service import CurrentPerson
from nursery_ops.children.access import guardian_child_ids
from nursery_ops.children.models import Child, TrustedAdult
from nursery_ops.dailylog.models import LogEntry, PhotoTag
from nursery_ops.errors import NotFound
from nursery_ops.i18n import N_
from nursery_ops.photos.models import Photo
from nursery_ops.settings import get_settings

if TYPE_CHECKING:
    from PIL import Image

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "HEIF"})
# 50 megapixels covers every phone camera; a PNG claiming more is a decompression bomb.
MAX_PIXELS = 50_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 85
CHUNK_BYTES = 64 * 1024


TOO_LARGE = N_("This photo file is too large. Use a smaller photo.")


@cache
def _pillow():
    """Pillow with the HEIC opener, loaded with the first upload: most workers never see one (5 MB less)."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    from pillow_heif import register_heif_opener

    register_heif_opener()  # HEIF/HEIC is what iPads and iPhones take; pillow-heif teaches Pillow to read it
    return Image, ImageOps, UnidentifiedImageError


def form_status(errors: dict) -> int:
    """The status of a form page refused for `errors`: 413 when the photo was over the size cap."""
    return 413 if errors.get("photo") == TOO_LARGE else 400


class PhotoRefused(Exception):
    """The upload is not a photo we keep; `message` is a message id (shown next to the file field)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PreparedPhoto:
    jpeg: bytes
    width: int
    height: int


def is_file(upload) -> bool:
    """A file input left empty still sends a part with no name; that means "no photo"."""
    return isinstance(upload, UploadFile) and bool(upload.filename)


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, refusing as soon as it passes the cap (never the whole file in memory)."""
    chunks, total = [], 0
    while chunk := await upload.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise PhotoRefused(TOO_LARGE)
        chunks.append(chunk)
    if total == 0:
        raise PhotoRefused(N_("Choose a photo to upload."))
    return b"".join(chunks)


def prepare(data: bytes) -> PreparedPhoto:
    """Check the bytes are a JPEG, PNG, WebP or HEIC picture and re-encode them as a clean JPEG."""
    Image, ImageOps, UnidentifiedImageError = _pillow()
    not_a_photo = PhotoRefused(N_("This file is not a photo. Use a JPEG, PNG, WebP or HEIC picture."))
    too_many_pixels = PhotoRefused(N_("This picture has too many pixels. Use a photo from a phone or camera."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_a_photo
                if probe.width * probe.height > MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
            # verify() leaves the image unusable: decode from a fresh open.
            with Image.open(BytesIO(data)) as picture:
                picture.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size, less memory
                upright = ImageOps.exif_transpose(picture)
                upright.thumbnail((MAX_SIDE, MAX_SIDE))
                clean = flatten(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise not_a_photo from None
    buffer = BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return PreparedPhoto(buffer.getvalue(), clean.width, clean.height)


def flatten(picture: "Image.Image") -> "Image.Image":
    """RGB for JPEG: transparent parts become white, not black."""
    Image = _pillow()[0]
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


async def read_photo(upload) -> PreparedPhoto:
    """read_upload + prepare, for a route's form value."""
    if not is_file(upload):
        raise PhotoRefused(N_("Choose a photo to upload."))
    return prepare(await read_upload(upload, get_settings().photo_max_bytes))


def photo_path(photo: Photo) -> Path:
    return get_settings().photo_dir / photo.storage_name


def save_photo(
    session: Session, uploader_id: int, prepared: PreparedPhoto, child_id: int, attach: Callable[[Photo], None]
) -> Photo:
    """Write the file, add the Photo row, let `attach` link it (and audit that), and commit.

    The file is removed again when anything after writing it fails, so a refused
    transaction leaves no orphan file behind.
    """
    directory = get_settings().photo_dir
    directory.mkdir(parents=True, exist_ok=True)
    photo = Photo(
        storage_name=f"{secrets.token_hex(16)}.jpg",
        content_type="image/jpeg",
        width=prepared.width,
        height=prepared.height,
        byte_size=len(prepared.jpeg),
        uploaded_by_id=uploader_id,
    )
    path = directory / photo.storage_name
    path.write_bytes(prepared.jpeg)
    committed = False
    try:
        session.add(photo)
        session.flush()
        audit.record(session, uploader_id, "photo_uploaded", photo, after=audit.snapshot(photo), child_id=child_id)
        attach(photo)
        session.commit()
        committed = True
    finally:
        if not committed:
            path.unlink(missing_ok=True)
    return photo


def set_child_photo(session: Session, me: CurrentPerson, child: Child, prepared: PreparedPhoto) -> Photo:
    def attach(photo: Photo) -> None:
        before = audit.snapshot(child)
        child.photo_id = photo.id
        session.add(child)
        audit.record(session, me.id, "child_photo_set", child, before=before, after=audit.snapshot(child), child_id=child.id)

    return save_photo(session, me.id, prepared, child.id, attach)


def set_adult_photo(session: Session, me: CurrentPerson, adult: TrustedAdult, prepared: PreparedPhoto) -> Photo:
    def attach(photo: Photo) -> None:
        before = audit.snapshot(adult)
        adult.photo_id = photo.id
        session.add(adult)
        audit.record(session, me.id, "trusted_adult_photo_set", adult, before=before, after=audit.snapshot(adult),
                     child_id=adult.child_id)

    return save_photo(session, me.id, prepared, adult.child_id, attach)


def visible_photo(session: Session, me: CurrentPerson, photo_id: int) -> Photo:
    """The photo, if it shows a child this person may see (or an adult trusted with one); else NotFound.

    A daily-log photo shows the children tagged in it (PhotoTag): their guardians see it
    while its log entry stands — a voided entry (e.g. the wrong child tagged) hides it from families.
    """
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound()
    if me.is_staff:
        return photo
    standing_entry = select(LogEntry.id).where(
        LogEntry.photo_id == photo_id, LogEntry.voided_at.is_(None), LogEntry.replaced.is_(False)
    )
    shown_children = set(
        session.exec(
            select(Child.id).where(
                or_(
                    Child.photo_id == photo_id,
                    Child.id.in_(select(TrustedAdult.child_id).where(TrustedAdult.photo_id == photo_id)),
                    Child.id.in_(
                        select(PhotoTag.child_id).where(PhotoTag.photo_id == photo_id, standing_entry.exists())
                    ),
                )
            )
        ).all()
    )
    if not shown_children & guardian_child_ids(session, me.person.guardian_id):
        raise NotFound()
    return photo
