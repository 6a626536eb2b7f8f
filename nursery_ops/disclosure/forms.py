"""The disclosure edit form: one text per section, and the version each text was based on."""

from pydantic import Field

from nursery_ops.disclosure.models import Section
from nursery_ops.forms import FormModel
from nursery_ops.i18n import N_

SECTION_LABELS = {
    Section.about: N_("About the nursery"),
    Section.fees: N_("Fee items and standards (收费项目及标准)"),
    Section.refunds: N_("Refund method (退费办法)"),
    Section.routine: N_("Daily routine (一日生活安排)"),
    Section.menu: N_("Weekly menu (每周食谱)"),
    Section.health_safety: N_("Health and safety measures (卫生保健与安全措施)"),
    Section.filing: N_("Filing number (备案号)"),
    Section.complaints: N_("Complaint channel (投诉渠道)"),
}
SECTION_HINTS = {
    Section.about: N_("Name, address, opening hours, care types and number of places."),
    Section.fees: N_("Every item charged and its amount: care fee by care type, meal fee, deposit, optional services."),
    Section.refunds: N_("How fees are refunded on leaving, for days not attended, sick leave and closures, and within how many days."),
    Section.routine: N_("The day from arrival to pick-up, with times."),
    Section.menu: N_("This week's meals and snacks, day by day."),
    Section.health_safety: N_("Morning and midday checks, illness and medicine, hygiene, food safety, security and drills."),
    Section.filing: N_("The filing number given by the health commission (托育机构备案号)."),
    Section.complaints: N_("Whom to call or write to: the director, the committee, the supervising department."),
}
SECTION_MAX = {section: 100 if section is Section.filing else 5000 for section in Section}


class DisclosureForm(FormModel):
    about: str = Field(default="", max_length=SECTION_MAX[Section.about])
    fees: str = Field(default="", max_length=SECTION_MAX[Section.fees])
    refunds: str = Field(default="", max_length=SECTION_MAX[Section.refunds])
    routine: str = Field(default="", max_length=SECTION_MAX[Section.routine])
    menu: str = Field(default="", max_length=SECTION_MAX[Section.menu])
    health_safety: str = Field(default="", max_length=SECTION_MAX[Section.health_safety])
    filing: str = Field(default="", max_length=SECTION_MAX[Section.filing])
    complaints: str = Field(default="", max_length=SECTION_MAX[Section.complaints])
    # The version each text was read at (hidden fields "v_<section>"; 0 when never published).
    v_about: int = 0
    v_fees: int = 0
    v_refunds: int = 0
    v_routine: int = 0
    v_menu: int = 0
    v_health_safety: int = 0
    v_filing: int = 0
    v_complaints: int = 0

    def body(self, section: Section) -> str:
        return getattr(self, section.value)

    def based_on(self, section: Section) -> int:
        return getattr(self, f"v_{section.value}")
