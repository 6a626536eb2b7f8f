"""Reading HTML forms into pydantic models, with errors keyed by field in the person's language.

One way for every form: `parse_form(FormModel, form)` returns the model or a dict
of field → message id; the template shows each message next to its field.

Every number read must fit an INTEGER column and every date lie in 1900–2999, so that no
input reaches the database driver or date arithmetic out of range: form fields by
FormModel, path and query parameters by `address_in_range` (404), hand-read values by
`whole_number` and `on_calendar`.
"""

import re
import types
import typing
from datetime import date, datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.datastructures import FormData
from starlette.requests import Request

from nursery_ops.clock import local_today
from nursery_ops.errors import NotFound
from nursery_ops.i18n import N_

# pydantic error type → message id (translated when shown).
ERROR_MESSAGES = {
    "missing": N_("This field is required."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_max_places": N_("Too many decimal places."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "time_parsing": N_("Enter a time as HH:MM."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "string_too_long": N_("This is too long."),
    "string_too_short": N_("This is too short."),
    "greater_than": N_("This number is too small."),
    "greater_than_equal": N_("This number is too small."),
    "less_than": N_("This number is too large."),
    "less_than_equal": N_("This number is too large."),
    "bool_parsing": N_("Choose yes or no."),
    "list_type": N_("Choose one of the options."),
}
FALLBACK_MESSAGE = N_("This value is not valid.")

# Every number column is an INTEGER: 32 bits on PostgreSQL (SQLite's driver refuses more than 64 bits).
SMALLEST_INTEGER, LARGEST_INTEGER = -(2**31), 2**31 - 1
# The dates a form or a link may name. The nursery's records lie well inside, and pages count days,
# weeks and months around the date they show: the calendar's first and last days have no day beyond.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2999, 12, 31)
DATE_OUT_OF_RANGE = N_("Enter a date between the years 1900 and 2999.")


class FormModel(BaseModel):
    """Base for form schemas: strips text, treats empty inputs as not given."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")
    # List fields that keep their blank entries, so rows of inputs (name, amount, unit) stay aligned by position.
    keep_blank_items: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data):
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value not in ("", None, [])}
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value):
        """Every number fits an INTEGER column and every date lies in EARLIEST_DATE..LATEST_DATE (lists too)."""
        for item in value if isinstance(value, (list, tuple, set, frozenset)) else (value,):
            if isinstance(item, int) and not isinstance(item, bool) and not SMALLEST_INTEGER <= item <= LARGEST_INTEGER:
                raise FieldError(ERROR_MESSAGES["less_than_equal" if item > 0 else "greater_than_equal"])
            if isinstance(item, date) and not on_calendar(item):
                raise FieldError(DATE_OUT_OF_RANGE)
        return value


class Refused(Exception):
    """A change the rules refuse: message ids by field, shown next to the fields (400); nothing is saved."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class FieldError(ValueError):
    """Raised by a validator with a message id of our own."""


def on_calendar(value: date) -> bool:
    """A date a page can show with the days, weeks and months around it."""
    value = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= value <= LATEST_DATE


def whole_number(text: str | None) -> int | None:
    """A number sent as text ("guardian:12" from a <select>, ?page=3): ASCII digits an INTEGER holds, else None."""
    if text and text.isascii() and text.isdigit() and int(text) <= LARGEST_INTEGER:
        return int(text)
    return None


def required_text(value: str) -> str:
    """Text that must be given: blank (spaces only, stripped) is refused like a missing field."""
    if not value:
        raise FieldError(ERROR_MESSAGES["missing"])
    return value


class ReasonForm(FormModel):
    """A void, cancellation or ending: why, in the person's words (required; never blank)."""

    reason: Annotated[str, AfterValidator(required_text)] = Field(max_length=500)


def _is_list(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin in (list, set, frozenset)


def _is_bool(annotation) -> bool:
    return annotation is bool


def form_values(model: type[FormModel], form: FormData) -> dict:
    """The raw values the model's fields ask for (lists for multi-valued fields)."""
    values = {}
    for name, field in model.model_fields.items():
        if _is_list(field.annotation):
            keep_blank = name in model.keep_blank_items
            values[name] = [value for value in form.getlist(name) if keep_blank or value != ""]
        elif _is_bool(field.annotation):
            # An unticked checkbox sends nothing: that means False.
            values[name] = form.get(name) in ("on", "true", "1", "yes")
        else:
            value = form.get(name)
            values[name] = value if isinstance(value, str) else None
    return values


def echo(form: FormData, lists: tuple[str, ...] = ()) -> dict:
    """The values sent, to show again next to the errors (files and the CSRF token are never echoed)."""
    echoed = {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}
    for key in lists:
        echoed[key] = form.getlist(key)
    return echoed


def parse_form(model: type[FormModel], form: FormData):
    """(model instance, {}) when valid, else (None, {field: message id})."""
    try:
        return model.model_validate(form_values(model, form)), {}
    except ValidationError as error:
        return None, errors_by_field(error)


def errors_by_field(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        if field in errors:
            continue
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            errors[field] = str(cause)
        else:
            errors[field] = ERROR_MESSAGES.get(item["type"], FALLBACK_MESSAGE)
    return errors


def not_in_future(value: date | None) -> date | None:
    if value is not None and value > local_today():
        raise FieldError(N_("This date cannot be in the future."))
    return value


def phone_number(value: str) -> str:
    """A mainland mobile (11 digits from 1) or a landline with area code; spaces and dashes allowed."""
    digits = value.replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not digits.isdigit() or not (7 <= len(digits) <= 12):
        raise FieldError(N_("Enter a phone number of digits only, e.g. 13800138000."))
    if len(digits) == 11 and not digits.startswith(("1", "0")):
        raise FieldError(N_("Enter a phone number of digits only, e.g. 13800138000."))
    return digits


MIN_PASSWORD_LENGTH = 10


def strong_enough(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(N_("Use at least 10 characters."))
    return password


# ---------------------------------------------------------------- the same bounds for the address

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _address_params(dependant):
    """The route's path and query parameters, also those its dependencies declare (`room_id` of RoomActing)."""
    yield from ((param, "path") for param in dependant.path_params)
    yield from ((param, "query") for param in dependant.query_params)
    for dependency in dependant.dependencies:
        yield from _address_params(dependency)


def _beyond_records(annotation, value: str) -> bool:
    kinds = set(typing.get_args(annotation)) | {annotation}
    if int in kinds and WHOLE_NUMBER.fullmatch(value):
        return not SMALLEST_INTEGER <= int(value) <= LARGEST_INTEGER
    if date in kinds and ISO_DATE.fullmatch(value):
        try:
            return not on_calendar(date.fromisoformat(value))
        except ValueError:
            return False  # not a day at all: the route's own validation answers that
    return False


async def address_in_range(request: Request) -> None:
    """App-wide dependency: an id beyond any INTEGER column, or a day off the calendar the pages can show, in the
    path or the query names nothing: 404 before a query the driver would refuse or date arithmetic would overflow.
    Forms get the same rule field by field (FormModel._storable)."""
    route = request.scope.get("route")
    for param, where in _address_params(route.dependant) if hasattr(route, "dependant") else ():
        sent = [request.path_params.get(param.alias, "")] if where == "path" else request.query_params.getlist(param.alias)
        if any(_beyond_records(param.field_info.annotation, value) for value in sent):
            raise NotFound()
