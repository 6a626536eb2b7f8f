"""Form schemas for health exams (read with `nursery_ops.forms.parse_form`).

"Not before the birth date" needs the child, so the service checks it.
"""

from typing import Annotated

from pydantic import Field

from nursery_ops.children.forms import PastDay, Reason
from nursery_ops.forms import FormModel
from nursery_ops.health.models import ExamKind, HearingResult

# Haemoglobin in g/L: outside this range it is a slip (g/dL typed, a digit missing), not a result.
HAEMOGLOBIN_MIN_G_L = 40
HAEMOGLOBIN_MAX_G_L = 250


class ExamForm(FormModel):
    """An exam at a medical institution, with the screenings done at the same visit (optional)."""

    kind: ExamKind
    exam_date: PastDay
    institution: Annotated[str, Field(min_length=2, max_length=100)]
    passed: bool = False
    haemoglobin_g_l: Annotated[int, Field(ge=HAEMOGLOBIN_MIN_G_L, le=HAEMOGLOBIN_MAX_G_L)] | None = None
    hearing: HearingResult | None = None
    notes: str = Field(default="", max_length=1000)


class VoidForm(FormModel):
    reason: Reason
