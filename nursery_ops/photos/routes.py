"""Photo upload (director) and serving (anyone who may see the child the photo belongs to)."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

from nursery_ops.auth.access import DbSession, Director, SignedIn
from nursery_ops.children import service as children
from nursery_ops.errors import NotFound
from nursery_ops.photos.service import (
    PhotoRefused,
    form_status,
    photo_path,
    read_photo,
    set_adult_photo,
    set_child_photo,
    visible_photo,
)
from nursery_ops.settings import get_settings
from nursery_ops.templating import render

router = APIRouter()


def upload_page(request: Request, child, subject_name: str, current_photo_id, action: str, errors=None, status_code=200):
    context = {
        "child": child,
        "subject_name": subject_name,
        "current_photo_id": current_photo_id,
        "action": action,
        "max_mb": get_settings().photo_max_bytes // (1024 * 1024),
        "errors": errors or {},
    }
    return render(request, "photos/upload.html", context, status_code=status_code, block="form")


@router.get("/children/{child_id}/photo")
def child_photo_page(request: Request, session: DbSession, me: Director, child_id: int):
    child = children.get_child(session, child_id)
    return upload_page(request, child, child.full_name, child.photo_id, f"/children/{child.id}/photo")


@router.post("/children/{child_id}/photo")
async def upload_child_photo(request: Request, session: DbSession, me: Director, child_id: int):
    child = children.get_child(session, child_id)
    form = await request.form()
    try:
        prepared = await read_photo(form.get("photo"))
    except PhotoRefused as refused:
        action, errors = f"/children/{child.id}/photo", {"photo": refused.message}
        return upload_page(request, child, child.full_name, child.photo_id, action, errors, form_status(errors))
    set_child_photo(session, me, child, prepared)
    return RedirectResponse(f"/children/{child.id}", status_code=303)


@router.get("/children/{child_id}/adults/{adult_id}/photo")
def adult_photo_page(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = children.get_child(session, child_id)
    adult = children.trusted_adult(session, child, adult_id)
    action = f"/children/{child.id}/adults/{adult.id}/photo"
    return upload_page(request, child, adult.full_name, adult.photo_id, action)


@router.post("/children/{child_id}/adults/{adult_id}/photo")
async def upload_adult_photo(request: Request, session: DbSession, me: Director, child_id: int, adult_id: int):
    child = children.get_child(session, child_id)
    adult = children.trusted_adult(session, child, adult_id)
    form = await request.form()
    try:
        prepared = await read_photo(form.get("photo"))
    except PhotoRefused as refused:
        action, errors = f"/children/{child.id}/adults/{adult.id}/photo", {"photo": refused.message}
        return upload_page(request, child, adult.full_name, adult.photo_id, action, errors, form_status(errors))
    set_adult_photo(session, me, adult, prepared)
    return RedirectResponse(f"/children/{child.id}#pickup", status_code=303)


@router.get("/photos/{photo_id}")
def photo_file(session: DbSession, me: SignedIn, photo_id: int):
    photo = visible_photo(session, me, photo_id)
    path = photo_path(photo)
    if not path.is_file():
        raise NotFound()
    # Private: the browser may keep it briefly; a shared proxy must not.
    headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=photo.content_type, headers=headers)
