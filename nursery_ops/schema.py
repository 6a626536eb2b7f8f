"""Every domain's tables, imported so `SQLModel.metadata` is complete (Alembic, tests)."""

from nursery_ops import audit, pagecache, policy  # noqa: F401
from nursery_ops.attendance import models as attendance_models  # noqa: F401
from nursery_ops.auth import models as auth_models  # noqa: F401
from nursery_ops.auth import invitations as invitation_models  # noqa: F401
from nursery_ops.children import models as children_models  # noqa: F401
from nursery_ops.dailylog import models as dailylog_models  # noqa: F401
from nursery_ops.enrolment import models as enrolment_models  # noqa: F401
from nursery_ops.growth import models as growth_models  # noqa: F401
from nursery_ops.health import models as health_models  # noqa: F401
from nursery_ops.illness import models as illness_models  # noqa: F401
from nursery_ops.incidents import models as incidents_models  # noqa: F401
from nursery_ops.medication import models as medication_models  # noqa: F401
from nursery_ops.photos import models as photos_models  # noqa: F401
from nursery_ops.rooms import models as rooms_models  # noqa: F401
from nursery_ops.staff import models as staff_models  # noqa: F401
from nursery_ops.contracts import models as contracts_models  # noqa: F401
from nursery_ops.billing import models as billing_models  # noqa: F401
from nursery_ops.committee import models as committee_models  # noqa: F401
from nursery_ops.disclosure import models as disclosure_models  # noqa: F401
