"""The growth forms: a measurement (cm, kg as people read them off the board and the scale) and a void."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nursery_ops.forms import FieldError, FormModel
from nursery_ops.growth.models import Position
from nursery_ops.i18n import N_


def _decimal_comma(value):
    # Some keyboards offer "," as the decimal separator.
    return value.replace(",", ".") if isinstance(value, str) else value


def _places(places: int, message: str):
    def check(value: Decimal | None) -> Decimal | None:
        if value is not None and value.as_tuple().exponent < -places:
            raise FieldError(message)
        return value

    return check


Centimetres = Annotated[
    Decimal | None,
    BeforeValidator(_decimal_comma),
    AfterValidator(_places(1, N_("Enter centimetres with at most one decimal, e.g. 82.5."))),
]
Kilograms = Annotated[
    Decimal | None,
    BeforeValidator(_decimal_comma),
    AfterValidator(_places(3, N_("Enter kilograms with at most three decimals, e.g. 11.25."))),
]


class MeasurementForm(FormModel):
    # Random per rendered form: the same token twice is a double tap.
    form_token: str | None = Field(default=None, max_length=40)
    on_date: dt.date
    length_cm: Centimetres = None
    position: Position | None = None
    weight_kg: Kilograms = None
    head_cm: Centimetres = None
    confirmed: bool = False  # "Confirmed: measured again" for an implausible value
    notes: str = Field(default="", max_length=500)

    @property
    def length_mm(self) -> int | None:
        return None if self.length_cm is None else int(self.length_cm * 10)

    @property
    def weight_g(self) -> int | None:
        return None if self.weight_kg is None else int(self.weight_kg * 1000)

    @property
    def head_mm(self) -> int | None:
        return None if self.head_cm is None else int(self.head_cm * 10)

