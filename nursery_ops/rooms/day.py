"""The room's day as the tablet shows it (filled in by the room-view work).

`after_action(request, session, actor, child_id)` is what every room action returns:
an htmx request gets the re-rendered tile of that child (and the room header, out of
band); a plain form post is sent back to the room with 303.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from nursery_ops.rooms.tablet import RoomActor


def after_action(request: Request, session: Session, actor: RoomActor, child_id: int | None = None) -> Response:
    return RedirectResponse(f"/rooms/{actor.room.id}", status_code=303)
