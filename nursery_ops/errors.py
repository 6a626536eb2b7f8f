"""Exceptions that end a request with a page of their own (handled in app.py)."""


class LoginRequired(Exception):
    """Anonymous where a signed-in person is needed → redirect to /login."""


class Forbidden(Exception):
    """Signed in, but this role may not do this → 403."""


class NotFound(Exception):
    """Unknown id, or one this person may not know exists → 404."""


class CsrfFailed(Exception):
    """A state-changing request without a valid CSRF token → 403."""


class TabletLocked(Exception):
    """The shared room tablet has been idle: a staff member must enter their PIN."""

    def __init__(self, room_id: int):
        super().__init__(room_id)
        self.room_id = room_id


class TwoStepSetupDue(Exception):
    """A director whom the policy requires to use the two-step sign-in has not set it up yet."""
