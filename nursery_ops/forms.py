"""Reading HTML forms into pydantic models, with errors keyed by field in the person's language.

One way for every form: `parse_form(FormModel, form)` returns the model or a dict
of field → message id; the template shows each message next to its field.
"""

import types
import typing
from datetime import date
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.datastructures import FormData

from nursery_ops.clock import local_today
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


class Refused(Exception):
    """A change the rules refuse: message ids by field, shown next to the fields (400); nothing is saved."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class FieldError(ValueError):
    """Raised by a validator with a message id of our own."""


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
