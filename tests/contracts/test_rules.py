"""Contract rules at their edges: money input, forbidden phrases, periods, what signing needs, status over time."""

from dataclasses import replace
from datetime import date

import pytest

from nursery_ops import money
from nursery_ops.contracts import rules
from nursery_ops.contracts.models import ContractStatus, FeeUnit
from nursery_ops.enrolment.models import CareType
from nursery_ops.rooms.models import RoomType

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1280.50", 128050), ("1280.5", 128050), ("0", 0), ("0.01", 1), ("2,800", 280000), ("¥12", 1200), (" 3 ", 300),
     ("12.340", 1234)],
)
def test_yuan_become_whole_fen(text, fen):
    assert money.yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [("12.345", money.FRACTIONAL_FEN), ("-1", money.NEGATIVE_AMOUNT), ("-0.01", money.NEGATIVE_AMOUNT),
     ("abc", money.NOT_AN_AMOUNT), ("", money.NOT_AN_AMOUNT), ("NaN", money.NOT_AN_AMOUNT), ("Infinity", money.NOT_AN_AMOUNT)],
)
def test_bad_amounts_are_refused_with_their_reason(text, message):
    with pytest.raises(ValueError, match=None) as refused:
        money.yuan_to_fen(text)
    assert str(refused.value) == message


def test_fen_go_back_into_the_form_as_yuan():
    assert rules.fen_to_yuan_text(128050) == "1280.50"
    assert rules.fen_to_yuan_text(5) == "0.05"


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("本园收费一经缴纳概不退款。", "概不退款"),
        ("已缴费用 不予 退还", "不予退还"),
        ("本合同最终解释权归本园所有", "最终解释权"),
        ("All fees are NON-REFUNDABLE.", "non-refundable"),
        ("All fees are Non - Refundable.", "non-refundable"),
        ("The nursery has the final\ninterpretation of these terms.", "final interpretation"),
    ],
)
def test_forbidden_phrases_block_quoting_the_phrase(text, quoted):
    found = rules.forbidden_phrases_found([text], rules.DEFAULT_FORBIDDEN_PHRASES)
    assert found and found[0].blocks
    assert found[0].params["phrase"] == quoted


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("学费一经缴纳不予退费。", "不予退费"),
        ("押金不可退。", "不可退"),
        ("中途退园的，已缴费用不得退回。", "不得退"),
        ("伙食费不能退。", "不能退"),
        ("缴费后不退款。", "不退款"),
        ("本协议解释权归本园所有。", "解释权归"),  # without 最终
        ("Fees are not refundable.", "not refundable"),
        ("NO REFUND after enrolment.", "no refund"),
        ("ＮＯＮ－ＲＥＦＵＮＤＡＢＬＥ", "non-refundable"),  # full-width Latin
        ("Ｎｏ Ｒｅｆｕｎｄ", "no refund"),
        ("解释权 归 本园", "解释权归"),  # spaces do not hide it
    ],
)
def test_common_wordings_of_void_refund_clauses_are_caught(text, quoted):
    found = rules.forbidden_phrases_found([text], rules.DEFAULT_FORBIDDEN_PHRASES)
    assert [decision.params["phrase"] for decision in found][:1] == [quoted]


@pytest.mark.parametrize(
    "text",
    ["退园时按剩余服务天数退还托育费。", "Refunds are paid within 15 days.", "争议由双方协商解决。", "",
     "因园所原因停园的，全额退还当日托育费。", "The deposit is refunded in full on leaving."],
)
def test_fair_clauses_pass(text):
    assert rules.forbidden_phrases_found([text], rules.DEFAULT_FORBIDDEN_PHRASES) == []


def test_the_directors_own_phrases_count_and_each_is_quoted_once():
    found = rules.forbidden_phrases_found(["押金不退 押金不退"], [*rules.DEFAULT_FORBIDDEN_PHRASES, "押金 不退"])
    assert [decision.params["phrase"] for decision in found] == ["押金 不退"]


ENROLLED = (date(2026, 9, 1), date(2027, 7, 31))


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (date(2026, 9, 1), date(2027, 7, 31), set()),  # exactly the enrolment
        (date(2026, 8, 31), date(2027, 7, 31), {"start_date"}),  # a day before it starts
        (date(2026, 9, 1), date(2027, 8, 1), {"end_date"}),  # a day after it ends
        (date(2026, 10, 1), date(2026, 9, 30), {"end_date"}),  # reversed
        (date(2026, 10, 1), date(2026, 10, 1), set()),  # one day
    ],
)
def test_the_service_period_lies_inside_the_enrolment(start, end, fields):
    assert set(rules.period_errors(start, end, *ENROLLED)) == fields


def test_an_open_ended_enrolment_takes_any_end():
    assert rules.period_errors(date(2026, 9, 1), date(2030, 1, 1), date(2026, 9, 1), None) == {}


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        (date(2027, 1, 1), date(2027, 6, 30), None),  # the day after
        (date(2026, 12, 31), date(2027, 6, 30), 7),  # shares the last day
        (date(2026, 6, 1), date(2026, 9, 1), 7),  # shares the first day
        (date(2026, 6, 1), date(2026, 8, 31), None),  # the day before
    ],
)
def test_overlapping_contracts_share_at_least_one_day(start, end, clash):
    existing = [rules.Period(7, 1, date(2026, 9, 1), date(2026, 12, 31))]
    found = rules.overlapping(start, end, existing)
    assert (found.contract_id if found else None) == clash


COMPLETE = rules.Terms(
    start_date=date(2026, 9, 1), end_date=date(2027, 7, 31), care_type=CareType.full_day, hours="周一至周五 07:30–17:30",
    room_type=RoomType.toddler, care_fee_fen=280000, care_fee_unit=FeeUnit.month, meal_fee_per_day_fen=2000,
    months_per_payment=3, payment_due_day=5, refund_withdrawal_pro_rata=True, refund_closure_full=True,
    withdrawal_notice_days=0, sick_refund_min_days=5, sick_refund_percent=50, dispute_resolution="协商解决",
)


def messages(terms, prepay_max_months=3) -> list[str]:
    return [decision.message for decision in rules.missing_parts(terms, prepay_max_months)]


def test_a_complete_contract_may_be_signed():
    assert messages(COMPLETE) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_date": None}, rules.MISSING_PERIOD),
        ({"end_date": date(2026, 8, 31)}, rules.END_BEFORE_START),
        ({"hours": "  "}, rules.MISSING_HOURS),
        ({"room_type": None}, rules.MISSING_ROOM_TYPE),
        ({"care_fee_fen": 0}, rules.MISSING_CARE_FEE),
        ({"care_fee_unit": FeeUnit.day}, rules.WRONG_FEE_UNIT[FeeUnit.month]),
        ({"care_type": CareType.hourly}, rules.WRONG_FEE_UNIT[FeeUnit.hour]),
        ({"care_type": CareType.temporary, "care_fee_unit": FeeUnit.month}, rules.WRONG_FEE_UNIT[FeeUnit.day]),
        ({"meal_fee_per_day_fen": -1}, rules.NEGATIVE_MEAL_FEE),
        ({"months_per_payment": 4}, rules.PAYMENT_SCHEDULE),
        ({"months_per_payment": 0}, rules.PAYMENT_SCHEDULE),
        ({"payment_due_day": 29}, rules.PAYMENT_DUE_DAY),
        ({"refund_withdrawal_pro_rata": False}, rules.MISSING_REFUND_RULES),
        ({"refund_closure_full": False}, rules.MISSING_REFUND_RULES),
        ({"sick_refund_percent": 101}, rules.REFUND_NUMBERS),
        ({"dispute_resolution": ""}, rules.MISSING_DISPUTE),
    ],
)
def test_each_missing_part_is_named(changes, message):
    assert messages(replace(COMPLETE, **changes)) == [message]


@pytest.mark.parametrize(("care_type", "unit"), [(CareType.half_day, FeeUnit.month), (CareType.hourly, FeeUnit.hour),
                                                  (CareType.temporary, FeeUnit.day)])
def test_the_fee_unit_follows_the_care_type(care_type, unit):
    assert messages(replace(COMPLETE, care_type=care_type, care_fee_unit=unit)) == []


def test_three_months_at_a_time_is_the_limit_and_the_limit_is_a_setting():
    assert messages(replace(COMPLETE, months_per_payment=3)) == []
    assert messages(replace(COMPLETE, months_per_payment=3), prepay_max_months=2) == [rules.PAYMENT_SCHEDULE]


def test_several_missing_parts_are_all_named():
    assert len(messages(replace(COMPLETE, hours="", care_fee_fen=0, dispute_resolution=""))) == 3


@pytest.mark.parametrize(
    ("signatures", "fields"),
    [
        (rules.Signatures(1, TODAY, TODAY), set()),
        (rules.Signatures(None, TODAY, TODAY), {"guardian_id"}),
        (rules.Signatures(9, TODAY, TODAY), {"guardian_id"}),  # not this child's guardian
        (rules.Signatures(1, None, TODAY), {"guardian_signed_on"}),
        (rules.Signatures(1, TODAY, None), {"director_signed_on"}),
        (rules.Signatures(1, date(2026, 11, 26), TODAY), {"guardian_signed_on"}),  # tomorrow
    ],
)
def test_both_signatures_with_dates_are_needed(signatures, fields):
    assert set(rules.signature_problems(signatures, {1, 2}, TODAY)) == fields


@pytest.mark.parametrize(
    ("stored", "start", "end", "ended_on", "expected"),
    [
        (ContractStatus.draft, date(2026, 1, 1), date(2026, 12, 31), None, ContractStatus.draft),
        (ContractStatus.signed, date(2026, 11, 26), date(2027, 6, 30), None, ContractStatus.signed),  # starts tomorrow
        (ContractStatus.signed, TODAY, date(2027, 6, 30), None, ContractStatus.active),  # starts today
        (ContractStatus.active, date(2026, 9, 1), TODAY, None, ContractStatus.active),  # last day
        (ContractStatus.active, date(2026, 9, 1), date(2026, 11, 24), None, ContractStatus.ended),  # ended yesterday
        (ContractStatus.active, date(2026, 9, 1), date(2027, 6, 30), TODAY, ContractStatus.active),  # last day of service
        (ContractStatus.active, date(2026, 9, 1), date(2027, 6, 30), date(2026, 11, 24), ContractStatus.ended),
        (ContractStatus.ended, date(2026, 9, 1), date(2027, 6, 30), None, ContractStatus.ended),
    ],
)
def test_status_on_a_day(stored, start, end, ended_on, expected):
    assert rules.status_on(stored, start, end, ended_on, TODAY) is expected


@pytest.mark.parametrize(
    ("ended_on", "ok"),
    [(date(2026, 8, 31), True), (date(2026, 8, 30), False), (date(2027, 6, 30), True), (date(2027, 7, 1), False)],
)
def test_an_early_end_lies_within_the_period(ended_on, ok):
    assert (rules.early_end_errors(date(2026, 9, 1), date(2027, 6, 30), ended_on) == {}) is ok
