"""The audit viewer's pure pieces: local dates to UTC ranges, what changed, where an entry leads, overrides."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from nursery_ops.auditlog import rules
from nursery_ops.spreadsheet import cell

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("date_from", "date_to", "start", "end"), [
    (date(2026, 3, 2), date(2026, 3, 2), datetime(2026, 3, 1, 16, 0, tzinfo=UTC), datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),
    (date(2026, 3, 2), None, datetime(2026, 3, 1, 16, 0, tzinfo=UTC), None),
    (None, date(2026, 2, 28), None, datetime(2026, 2, 28, 16, 0, tzinfo=UTC)),
    (None, None, None, None),
])
def test_local_dates_become_a_half_open_utc_range(date_from, date_to, start, end):
    assert rules.utc_range(date_from, date_to, SHANGHAI) == (start, end)


@pytest.mark.parametrize(("moment", "inside"), [
    (datetime(2026, 3, 1, 15, 59, tzinfo=UTC), False),  # 23:59 local on 1 March
    (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), True),    # local midnight of 2 March
    (datetime(2026, 3, 2, 15, 30, tzinfo=UTC), True),   # 23:30 local on 2 March
    (datetime(2026, 3, 2, 16, 0, tzinfo=UTC), False),   # local midnight of 3 March
])
def test_a_moment_belongs_to_its_local_day(moment, inside):
    start, end = rules.utc_range(date(2026, 3, 2), date(2026, 3, 2), SHANGHAI)
    assert (start <= moment < end) is inside


@pytest.mark.parametrize(("raw", "page"), [(None, 1), ("", 1), ("1", 1), ("3", 3), ("0", 1), ("-2", 1), ("abc", 1)])
def test_a_hand_edited_page_number_falls_back_to_the_first_page(raw, page):
    assert rules.page_number(raw) == page


def test_only_changed_fields_are_listed():
    found = rules.changes({"name": "王小明", "room_id": 1, "allergies": ""}, {"name": "王小明", "room_id": 2, "allergies": "花生"})
    assert [(c.field, c.before, c.after) for c in found] == [("room_id", "1", "2"), ("allergies", "", "花生")]


def test_a_new_record_lists_what_it_was_given_and_a_read_lists_nothing():
    assert [(c.field, c.after) for c in rules.changes(None, {"amount_fen": 120000, "note": None})] == [("amount_fen", "120000")]
    assert rules.changes(None, None) == []


@pytest.mark.parametrize(("entity", "entity_id", "child_id", "url"), [
    ("bill", 7, 3, "/bills/7"),
    ("payment", 8, 3, "/payments/8"),
    ("enrolment", 5, 3, "/children/3"),
    ("growth", None, 3, "/children/3"),
    ("policy_override", None, None, "/settings/rules"),
    ("staff_shift", 4, None, None),
])
def test_an_entry_links_to_its_record_or_else_its_child(entity, entity_id, child_id, url):
    assert rules.record_url(entity, entity_id, child_id) == url


@pytest.mark.parametrize(("action", "reason", "override"), [
    ("override", "家长书面说明", True),
    ("bill_issued", "家长要求一次付清半年", True),
    ("bill_issued", None, False),
    ("payment_recorded", "", False),
    ("bill_voided", "金额开错", False),
])
def test_what_counts_as_a_block_override(action, reason, override):
    assert rules.is_override(action, reason) is override


def test_an_override_names_the_rules_it_went_past():
    after = {"decisions": [{"mode": "block", "message": "Room full ({cap})", "params": {"cap": 15}}]}
    assert rules.overridden_rules("override", after) == [{"message": "Room full ({cap})", "params": {"cap": 15}}]
    assert rules.overridden_rules("payment_recorded", {"amount_fen": 1}) == [{"message": rules.PREPAY_RULE, "params": {}}]


def test_unknown_actions_and_kinds_are_shown_as_stored():
    assert rules.action_label("something_new") == "something_new"
    assert rules.entity_label("new_table") == "new_table"
    assert rules.action_label("override") == "Overrode a BLOCK rule"


@pytest.mark.parametrize(("typed", "written"), [("=SUM(A1)", "'=SUM(A1)"), ("-1", "'-1"), ("王小明", "王小明"), ("", "")])
def test_typed_text_never_starts_a_spreadsheet_formula(typed, written):
    assert cell(typed) == written
