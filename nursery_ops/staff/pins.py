"""The director sets a staff member's personal PIN for the shared room tablets (stored hashed)."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from nursery_ops import audit
from nursery_ops.auth.access import DbSession, Director
from nursery_ops.auth.models import STAFF_ROLES, Person
from nursery_ops.auth.service import roles_of
from nursery_ops.clock import utcnow
from nursery_ops.errors import NotFound
from nursery_ops.forms import FormModel, parse_form
from nursery_ops.i18n import N_
from nursery_ops.rooms.tablet import hash_pin
from nursery_ops.staff.models import TabletPin
from nursery_ops.templating import render

router = APIRouter()


class PinForm(FormModel):
    pin: Annotated[str, Field(pattern=r"^\d{4,8}$")]


@router.post("/staff/{person_id}/pin")
async def set_pin(request: Request, person_id: int, session: DbSession, me: Director):
    person = session.get(Person, person_id)
    if person is None or not roles_of(session, person_id) & STAFF_ROLES:
        raise NotFound()
    data, errors = parse_form(PinForm, await request.form())
    if errors:
        context = {"person": person, "errors": {"pin": N_("A PIN is 4 to 8 digits.")}}
        return render(request, "staff/pin.html", context, status_code=400)
    row = session.get(TabletPin, person_id) or TabletPin(person_id=person_id, pin_hash="")
    replaced = bool(row.pin_hash)
    row.pin_hash, row.set_by_id, row.set_at = hash_pin(data.pin), me.id, utcnow()
    session.add(row)
    audit.record(session, me.id, "tablet_pin_set", person, after={"replaced": replaced})
    session.commit()
    return RedirectResponse(f"/staff/{person_id}?saved=pin", status_code=303)
