"""Fee contracts over HTTP: drafts from the child's enrolment, signing and its BLOCKs, amendments, ending early,
the printable contract, who may read it, the phrase list and the calendar."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from nursery_ops.audit import AuditEntry
from nursery_ops.clock import local_today, utcnow
from nursery_ops.contracts import service
from nursery_ops.contracts.models import (
    CalendarDay,
    Contract,
    ContractCharge,
    ContractStatus,
    ForbiddenPhrase,
)
from nursery_ops.enrolment.models import Enrolment
from nursery_ops.rooms.models import RoomType
from tests import factories as f


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


def count(session, model) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def actions(session) -> list[str]:
    fresh(session)
    return list(session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all())


def enrolment_of(session, child) -> Enrolment:
    return session.exec(select(Enrolment).where(Enrolment.child_id == child.id)).one()


@pytest.fixture
def family(session, world):
    """Child X enrolled a month ago (open-ended); child Y too."""
    world.enrolment_x = enrolment_of(session, world.child_x)
    world.enrolment_y = enrolment_of(session, world.child_y)
    session.commit()  # end the read, so the test's later writes do not meet a stale snapshot
    return world


@pytest.fixture
def draft(session, family):
    family.draft = f.make_contract(session, family.enrolment_x, family.director)
    session.commit()
    return family


@pytest.fixture
def signed(session, family):
    today = local_today()
    family.contract = f.make_contract(
        session, family.enrolment_x, family.director, status=ContractStatus.active, guardian_id=family.guardian_x.id,
        guardian_signed_on=today - timedelta(days=31), director_signed_by_id=family.director.id,
        director_signed_on=today - timedelta(days=31),
    )
    session.commit()
    return family


def form_data(world, **changes) -> dict:
    start = world.enrolment_x.start_date
    data = {
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=300)).isoformat(),
        "care_type": "full_day", "hours": "周一至周五 07:30–17:30", "room_type": "toddler",
        "care_fee": "2800.00", "care_fee_unit": "month", "meal_fee_per_day": "20.5", "deposit": "500",
        "months_per_payment": "3", "payment_due_day": "5", "refund_withdrawal_pro_rata": "on",
        "withdrawal_notice_days": "0", "refund_meals_not_attended": "on", "sick_refund_min_days": "5",
        "sick_refund_percent": "50", "refund_closure_full": "on", "refund_deposit": "on",
        "dispute_resolution": "双方协商解决。", "other_terms": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def sign_data(world, **changes) -> dict:
    today = local_today().isoformat()
    data = {"guardian_id": str(world.guardian_x.id), "guardian_signed_on": today, "director_signed_on": today}
    data.update(changes)
    return data


# ---------------------------------------------------------------- a new draft from the child's record


def test_the_new_contract_form_is_filled_from_the_enrolment(client_for, family):
    response = client_for(family.director).get(f"/children/{family.child_x.id}/contracts/new")
    assert response.status_code == 200
    assert family.enrolment_x.start_date.isoformat() in response.text
    assert 'value="full_day" selected' in response.text
    assert 'value="toddler" selected' in response.text
    assert "07:30–17:30" in response.text


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_writes_contracts(client_for, family, session, who):
    client = client_for(getattr(family, who))
    assert client.get(f"/children/{family.child_x.id}/contracts/new").status_code == 403
    assert client.post(f"/children/{family.child_x.id}/contracts/new", form_data(family)).status_code == 403
    assert count(session, Contract) == 0


def test_anonymous_is_sent_to_sign_in(anonymous, family):
    response = anonymous.get(f"/children/{family.child_x.id}/contracts/new")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_director_drafts_a_contract(client_for, family, session):
    data = form_data(family, charge_name=["兴趣课", ""], charge_amount=["150", ""], charge_unit=["month", "month"])
    response = client_for(family.director).post(f"/children/{family.child_x.id}/contracts/new", data)
    assert response.status_code == 303
    fresh(session)
    contract = session.exec(select(Contract)).one()
    assert response.headers["location"] == f"/contracts/{contract.id}"
    assert (contract.status, contract.care_fee_fen, contract.meal_fee_per_day_fen, contract.deposit_fen) == (
        ContractStatus.draft, 280000, 2050, 50000)
    assert [(c.name, c.amount_fen) for c in session.exec(select(ContractCharge)).all()] == [("兴趣课", 15000)]
    assert "contract_drafted" in actions(session)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"care_fee": "12.345"}, "at most two decimals"),
        ({"care_fee": "-5"}, "zero or more"),
        ({"meal_fee_per_day": "-0.01"}, "zero or more"),
        ({"deposit": "abc"}, "Enter an amount in yuan"),
        ({"end_date": "2000-01-01"}, "cannot be before the first day"),
        ({"start_date": "2000-01-01"}, "must start on or after the enrolment"),
        ({"charge_name": ["校车"], "charge_amount": ["1.001"]}, "at most two decimals"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_saved(client_for, family, session, changes, message):
    response = client_for(family.director).post(f"/children/{family.child_x.id}/contracts/new", form_data(family, **changes))
    assert response.status_code == 400
    assert message in response.text
    assert 'class="field-error"' in response.text
    assert count(session, Contract) == 0 and count(session, ContractCharge) == 0


def test_a_contract_overlapping_the_enrolments_signed_contract_is_refused(client_for, signed, session):
    response = client_for(signed.director).post(f"/children/{signed.child_x.id}/contracts/new", form_data(signed))
    assert response.status_code == 400
    assert f"Contract #{signed.contract.id} already covers" in response.text
    assert count(session, Contract) == 1


def test_the_director_edits_a_draft(client_for, draft, session):
    client = client_for(draft.director)
    assert client.get(f"/contracts/{draft.draft.id}/edit").status_code == 200
    response = client.post(f"/contracts/{draft.draft.id}/edit", form_data(draft, care_fee="3000"))
    assert response.status_code == 303
    fresh(session)
    assert session.get(Contract, draft.draft.id).care_fee_fen == 300000
    assert "contract_draft_changed" in actions(session)


def test_a_signed_contract_is_not_edited(client_for, signed, session):
    response = client_for(signed.director).post(f"/contracts/{signed.contract.id}/edit", form_data(signed, care_fee="1"))
    assert response.status_code == 400
    fresh(session)
    assert session.get(Contract, signed.contract.id).care_fee_fen == 280000


def test_a_draft_may_be_discarded(client_for, draft, session):
    response = client_for(draft.director).post(f"/contracts/{draft.draft.id}/discard")
    assert response.status_code == 303
    assert count(session, Contract) == 0
    assert "contract_draft_discarded" in actions(session)


# ---------------------------------------------------------------- signing


def test_signing_records_both_signatures_and_the_contract_is_active_from_its_start(client_for, draft, session):
    client = client_for(draft.director)
    assert client.get(f"/contracts/{draft.draft.id}/sign").status_code == 200
    response = client.post(f"/contracts/{draft.draft.id}/sign", sign_data(draft))
    assert response.status_code == 303
    fresh(session)
    contract = session.get(Contract, draft.draft.id)
    assert contract.status is ContractStatus.active  # started a month ago
    assert (contract.guardian_id, contract.director_signed_by_id) == (draft.guardian_x.id, draft.director.id)
    assert session.get(Enrolment, draft.enrolment_x.id).agreement_signed_on == local_today()
    assert "contract_signed" in actions(session)
    assert service.current_contract(session, draft.enrolment_x.id).id == contract.id


def test_a_contract_starting_later_is_signed_not_active(client_for, session, family):
    start = local_today() + timedelta(days=10)
    contract = f.make_contract(session, family.enrolment_x, family.director, start_date=start)
    session.commit()
    assert client_for(family.director).post(f"/contracts/{contract.id}/sign", sign_data(family)).status_code == 303
    fresh(session)
    assert session.get(Contract, contract.id).status is ContractStatus.signed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"other_terms": "已缴费用一律概不退款。"}, "contains “概不退款”"),
        ({"other_terms": "The nursery reserves the Final Interpretation."}, "contains “final interpretation”"),
        ({"dispute_resolution": ""}, "dispute resolution clause is missing"),
        ({"care_fee_fen": 0}, "must be more than zero"),
        ({"months_per_payment": 4}, "1 to 3 months"),
        ({"hours": ""}, "care hours are missing"),
    ],
)
def test_signing_is_blocked_naming_what_is_wrong(client_for, session, family, changes, message):
    contract = f.make_contract(session, family.enrolment_x, family.director, **changes)
    session.commit()
    response = client_for(family.director).post(f"/contracts/{contract.id}/sign", sign_data(family))
    assert response.status_code == 400
    assert message in response.text
    fresh(session)
    assert session.get(Contract, contract.id).status is ContractStatus.draft
    assert "contract_signed" not in actions(session)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"guardian_id": ""}, "choose a guardian of this child"),
        ({"director_signed_on": ""}, "signature date is missing"),
        ({"guardian_signed_on": (date.today() + timedelta(days=5)).isoformat()}, "cannot be in the future"),
    ],
)
def test_signing_needs_both_signatures(client_for, draft, session, changes, message):
    response = client_for(draft.director).post(f"/contracts/{draft.draft.id}/sign", sign_data(draft, **changes))
    assert response.status_code == 400 and message in response.text
    fresh(session)
    assert session.get(Contract, draft.draft.id).status is ContractStatus.draft


def test_another_childs_guardian_cannot_sign(client_for, draft, session):
    response = client_for(draft.director).post(
        f"/contracts/{draft.draft.id}/sign", sign_data(draft, guardian_id=str(draft.guardian_y.id))
    )
    assert response.status_code == 400
    fresh(session)
    assert session.get(Contract, draft.draft.id).status is ContractStatus.draft


def test_a_phrase_the_director_adds_blocks_signing(client_for, session, family):
    client = client_for(family.director)
    assert client.post("/settings/contract-phrases", {"phrase": "押金不退"}).status_code == 303
    fresh(session)
    contract = f.make_contract(session, family.enrolment_x, family.director, other_terms="押金 不退。")
    session.commit()
    response = client.post(f"/contracts/{contract.id}/sign", sign_data(family))
    assert response.status_code == 400 and "押金不退" in response.text
    assert "contract_phrase_added" in actions(session)


def test_phrases_are_not_added_twice_and_may_be_removed(client_for, session, family):
    client = client_for(family.director)
    assert client.get("/settings/contract-phrases").status_code == 200
    response = client.post("/settings/contract-phrases", {"phrase": "NON-refundable"})
    assert response.status_code == 400 and "already on the list" in response.text
    assert client.post("/settings/contract-phrases", {"phrase": "押金不退"}).status_code == 303
    phrase = session.exec(select(ForbiddenPhrase)).one()
    assert client.post(f"/settings/contract-phrases/{phrase.id}/remove").status_code == 303
    fresh(session)
    assert session.get(ForbiddenPhrase, phrase.id).removed_at is not None
    assert client_for(family.caregiver_a).get("/settings/contract-phrases").status_code == 403


# ---------------------------------------------------------------- amendments and ending early


def test_an_amendment_is_a_new_version_and_signing_it_keeps_the_old_one(client_for, signed, session):
    client = client_for(signed.director)
    assert client.get(f"/contracts/{signed.contract.id}/amend").status_code == 200
    response = client.post(f"/contracts/{signed.contract.id}/amend", {"reason": "托育费调整"})
    assert response.status_code == 303
    fresh(session)
    amendment = session.exec(select(Contract).where(Contract.replaces_id == signed.contract.id)).one()
    assert (amendment.version, amendment.status) == (2, ContractStatus.draft)
    assert client.post(f"/contracts/{amendment.id}/edit", form_data(signed, care_fee="3000")).status_code == 303
    # While the amendment is a draft, the signed version is still the contract.
    assert service.current_contract(session, signed.enrolment_x.id).id == signed.contract.id
    assert client.post(f"/contracts/{amendment.id}/sign", sign_data(signed)).status_code == 303
    fresh(session)
    old, new = session.get(Contract, signed.contract.id), session.get(Contract, amendment.id)
    assert old.superseded and old.care_fee_fen == 280000
    assert not new.superseded and new.status is ContractStatus.active and new.care_fee_fen == 300000
    assert service.current_contract(session, signed.enrolment_x.id).id == new.id
    assert {"contract_amendment_drafted", "contract_superseded", "contract_signed"} <= set(actions(session))
    page = client.get(f"/contracts/{new.id}").text
    assert "Version 1" in page and "Version 2" in page


def test_an_amendment_needs_a_reason_and_only_one_is_drafted_at_a_time(client_for, signed, session):
    client = client_for(signed.director)
    assert client.post(f"/contracts/{signed.contract.id}/amend", {"reason": ""}).status_code == 400
    assert client.post(f"/contracts/{signed.contract.id}/amend", {"reason": "续约"}).status_code == 303
    response = client.post(f"/contracts/{signed.contract.id}/amend", {"reason": "again"})
    assert response.status_code == 400 and "already being drafted" in response.text
    assert count(session, Contract) == 2


def test_a_draft_cannot_be_amended(client_for, draft, session):
    assert client_for(draft.director).post(f"/contracts/{draft.draft.id}/amend", {"reason": "x"}).status_code == 400
    assert count(session, Contract) == 1


def test_the_director_ends_a_contract_early(client_for, signed, session):
    client = client_for(signed.director)
    assert client.get(f"/contracts/{signed.contract.id}/end").status_code == 200
    yesterday = local_today() - timedelta(days=1)
    response = client.post(f"/contracts/{signed.contract.id}/end", {"ended_on": yesterday.isoformat(), "reason": "退园"})
    assert response.status_code == 303
    fresh(session)
    contract = session.get(Contract, signed.contract.id)
    assert (contract.ended_on, contract.end_reason, contract.status) == (yesterday, "退园", ContractStatus.ended)
    assert "contract_ended_early" in actions(session)


def test_an_early_end_outside_the_period_is_refused(client_for, signed, session):
    response = client_for(signed.director).post(
        f"/contracts/{signed.contract.id}/end", {"ended_on": "2000-01-01", "reason": "退园"}
    )
    assert response.status_code == 400 and "must lie between" in response.text
    fresh(session)
    assert session.get(Contract, signed.contract.id).ended_on is None


# ---------------------------------------------------------------- reading: the contract, the print, the list


def test_the_director_reads_the_contract_with_its_actions(client_for, signed):
    response = client_for(signed.director).get(f"/contracts/{signed.contract.id}")
    assert response.status_code == 200
    assert "Amend" in response.text and "End early" in response.text
    assert "¥2,800.00" in response.text


def test_the_childs_guardian_reads_the_contract_without_actions(client_for, signed):
    response = client_for(signed.parent_x).get(f"/contracts/{signed.contract.id}")
    assert response.status_code == 200
    assert "Amend" not in response.text and "End early" not in response.text


@pytest.mark.parametrize(("who", "status"), [("parent_y", 404), ("caregiver_a", 403), ("health", 403)])
def test_others_do_not_read_the_contract(client_for, signed, who, status):
    client = client_for(getattr(signed, who))
    assert client.get(f"/contracts/{signed.contract.id}").status_code == status
    assert client.get(f"/contracts/{signed.contract.id}/print").status_code == status


def test_a_guardian_does_not_see_a_draft(client_for, draft):
    assert client_for(draft.parent_x).get(f"/contracts/{draft.draft.id}").status_code == 404


def test_unknown_contracts_are_not_found(client_for, family):
    assert client_for(family.director).get("/contracts/999").status_code == 404
    assert client_for(family.parent_x).get("/contracts/999").status_code == 404


def test_anonymous_reading_a_contract_is_sent_to_sign_in(anonymous, signed):
    response = anonymous.get(f"/contracts/{signed.contract.id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_printed_contract_writes_out_the_refund_rules_and_signature_lines(client_for, signed):
    response = client_for(signed.parent_x).get(f"/contracts/{signed.contract.id}/print")
    assert response.status_code == 200
    text = response.text
    assert "refunded pro rata by the remaining service days" in text
    assert "at least 5 consecutive service days" in text and "50%" in text
    assert "Refunds are paid within 15 days" in text
    assert "Guardian (Party B), signature" in text


def test_the_printed_contract_speaks_chinese_to_a_chinese_reader(client_for, signed):
    response = client_for(signed.parent_x, locale="zh_CN").get(f"/contracts/{signed.contract.id}/print")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text


def test_the_director_lists_and_filters_contracts(client_for, signed, session):
    f.make_contract(session, signed.enrolment_y, signed.director, room_type=RoomType.older)
    session.commit()
    client = client_for(signed.director)
    everything = client.get("/contracts")
    assert everything.status_code == 200
    assert signed.child_x.full_name in everything.text and signed.child_y.full_name in everything.text
    active = client.get("/contracts?status=active")
    assert signed.child_x.full_name in active.text and signed.child_y.full_name not in active.text
    by_name = client.get("/contracts?q=赵")
    assert signed.child_y.full_name in by_name.text and signed.child_x.full_name not in by_name.text
    assert client.htmx_get("/contracts?status=draft").status_code == 200
    assert client_for(signed.caregiver_a).get("/contracts").status_code == 403
    assert client_for(signed.parent_x).get("/contracts").status_code == 403


# ---------------------------------------------------------------- the calendar


def test_the_director_closes_a_run_of_days(client_for, family, session):
    client = client_for(family.director)
    assert client.get("/settings/calendar?year=2026").status_code == 200
    response = client.post("/settings/calendar", {
        "kind": "closed", "on_date": "2026-10-01", "until": "2026-10-07", "name": "国庆节"})
    assert response.status_code == 303
    assert count(session, CalendarDay) == 7
    assert actions(session).count("calendar_day_added") == 7
    page = client.get("/settings/calendar?year=2026").text
    assert "国庆节" in page


def test_a_closure_caused_by_the_nursery_and_a_working_day(client_for, family, session):
    client = client_for(family.director)
    assert client.post("/settings/calendar", {
        "kind": "closed", "on_date": "2026-11-02", "name": "设备检修", "caused_by_nursery": "on"}).status_code == 303
    assert client.post("/settings/calendar", {
        "kind": "working", "on_date": "2026-10-10", "as_weekday": "5", "name": "调休"}).status_code == 303
    fresh(session)
    days = {day.on_date: day for day in session.exec(select(CalendarDay)).all()}
    assert days[date(2026, 11, 2)].caused_by_nursery
    assert days[date(2026, 10, 10)].as_weekday == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "working", "on_date": "2026-10-09", "as_weekday": "5", "name": "调休"}, "Saturday or Sunday"),
        ({"kind": "working", "on_date": "2026-10-10", "name": "调休"}, "which weekday"),
        ({"kind": "closed", "on_date": "2026-10-07", "until": "2026-10-01", "name": "国庆节"}, "cannot be before"),
        ({"kind": "closed", "on_date": "2026-10-01", "name": ""}, "This field is required"),
    ],
)
def test_bad_calendar_days_are_refused(client_for, family, session, data, message):
    response = client_for(family.director).post("/settings/calendar", data)
    assert response.status_code == 400 and message in response.text
    assert count(session, CalendarDay) == 0


def test_a_day_already_listed_is_refused_and_days_may_be_removed(client_for, family, session):
    client = client_for(family.director)
    client.post("/settings/calendar", {"kind": "closed", "on_date": "2026-10-01", "name": "国庆节"})
    response = client.post("/settings/calendar", {"kind": "closed", "on_date": "2026-09-30", "until": "2026-10-02",
                                                  "name": "国庆节"})
    assert response.status_code == 400 and "already in the calendar" in response.text
    assert count(session, CalendarDay) == 1
    day = session.exec(select(CalendarDay)).one()
    assert client.post(f"/settings/calendar/{day.id}/remove").status_code == 303
    assert count(session, CalendarDay) == 0
    assert "calendar_day_removed" in actions(session)


@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_only_the_director_keeps_the_calendar(client_for, family, session, who):
    client = client_for(getattr(family, who))
    assert client.get("/settings/calendar").status_code == 403
    assert client.post("/settings/calendar", {"kind": "closed", "on_date": "2026-10-01", "name": "x"}).status_code == 403
    assert count(session, CalendarDay) == 0


def test_a_child_without_an_open_enrolment_gets_no_contract(client_for, session, family):
    child = f.make_child(session, "孙小宝", months=20)
    session.commit()
    client = client_for(family.director)
    assert client.get(f"/children/{child.id}/contracts/new").status_code == 400
    response = client.post(f"/children/{child.id}/contracts/new", form_data(family))
    assert response.status_code == 400 and "not a withdrawn one" in response.text
    assert count(session, Contract) == 0


def test_a_second_draft_for_the_enrolment_is_refused(client_for, draft, session):
    response = client_for(draft.director).post(f"/children/{draft.child_x.id}/contracts/new", form_data(draft))
    assert response.status_code == 400 and "already has a draft" in response.text
    assert count(session, Contract) == 1


def test_the_current_contract_is_the_signed_version_not_a_draft(session, draft):
    assert service.current_contract(session, draft.enrolment_x.id) is None
    assert service.current_contract(session, draft.enrolment_y.id) is None


def test_the_hours_are_prefilled_from_the_weekly_schedule(client_for, family):
    assert "Mon–Fri 07:30–17:30" in client_for(family.director).get(f"/children/{family.child_x.id}/contracts/new").text


# ---------------------------------------------------------------- corrections (issue 6 audit)


def test_optional_services_keep_their_rows_when_some_inputs_are_left_empty(client_for, family, session):
    # Row 1 a monthly class, row 2 left empty, row 3 the uniform charged once: the unit <select>s always send a value
    data = form_data(family, charge_name=["兴趣课", "", "园服"], charge_amount=["150", "", "120"],
                     charge_unit=["month", "month", "once"])
    assert client_for(family.director).post(f"/children/{family.child_x.id}/contracts/new", data).status_code == 303
    fresh(session)
    charges = session.exec(select(ContractCharge).order_by(ContractCharge.id)).all()
    assert [(c.name, c.amount_fen, c.unit.value) for c in charges] == [("兴趣课", 15000, "month"), ("园服", 12000, "once")]


def test_a_name_in_one_row_and_an_amount_in_another_are_not_merged(client_for, family, session):
    data = form_data(family, charge_name=["校车", "", ""], charge_amount=["", "", "200"],
                     charge_unit=["month", "month", "month"])
    response = client_for(family.director).post(f"/children/{family.child_x.id}/contracts/new", data)
    assert response.status_code == 400 and "Give each optional service a name and an amount." in response.text
    assert count(session, Contract) == 0 and count(session, ContractCharge) == 0
    # the rows come back as typed, each in its place
    assert response.text.count('value="200"') == 1 and 'name="charge_name" aria-label' in response.text


def test_a_parent_does_not_see_an_unsigned_amendment_in_the_versions(client_for, signed, session):
    client = client_for(signed.director)
    assert client.post(f"/contracts/{signed.contract.id}/amend", {"reason": "托育费调整"}).status_code == 303
    fresh(session)
    amendment = session.exec(select(Contract).where(Contract.replaces_id == signed.contract.id)).one()
    parent_page = client_for(signed.parent_x).get(f"/contracts/{signed.contract.id}").text
    assert f'href="/contracts/{amendment.id}"' not in parent_page and "Version 2" not in parent_page
    assert "托育费调整" not in parent_page
    director_page = client.get(f"/contracts/{signed.contract.id}").text
    assert f'href="/contracts/{amendment.id}"' in director_page and "Version 2" in director_page


def test_the_contract_page_reads_its_versions_once(client_for, signed, queries):
    client = client_for(signed.director)
    with queries:
        assert client.get(f"/contracts/{signed.contract.id}").status_code == 200
    reads = [statement for statement in queries.statements
             if "FROM contract" in statement and "contract.enrolment_id = " in statement
             and "ORDER BY contract.version DESC" in statement]
    assert len(reads) == 1


# The contract page's own statements (the contract with its child, charges, versions, guardians, refunds, bills with
# their lines, payments with who received them) and the signed-in session's one; a parent's adds the link check.
CONTRACT_STATEMENTS = 7 + 1


def money_history(session, signed, months: range) -> None:
    """A month's bill, payment and refund (and a voided refund) on the contract for each month of `months`."""
    from nursery_ops.billing.models import Refund, RefundKind

    for month in months:
        first = signed.contract.start_date + timedelta(days=31 * month)
        f.make_refund_bill(session, signed.contract, signed.director, first, first + timedelta(days=27))
        f.make_refund_payment(session, signed.contract, signed.director, 280000, first)
        for voided_at in (None, utcnow()):
            session.add(Refund(contract_id=signed.contract.id, child_id=signed.contract.child_id, kind=RefundKind.meals,
                               period_start=first, period_end=first + timedelta(days=27), amount_fen=2000,
                               requested_on=first + timedelta(days=28), due_on=first + timedelta(days=43),
                               recorded_by_id=signed.director.id, voided_at=voided_at))
    session.commit()


def page_statements(queries, client, url: str) -> int:
    client.get(url)  # the first request signs the session in
    with queries:
        assert client.get(url).status_code == 200
    return queries.count


def test_the_contract_page_costs_the_same_for_3_or_24_months_of_money(client_for, signed, session, queries, pages_built):
    url = f"/contracts/{signed.contract.id}"
    director, parent = client_for(signed.director), client_for(signed.parent_x)
    money_history(session, signed, range(3))
    short = [page_statements(queries, director, url), page_statements(queries, parent, url)]
    money_history(session, signed, range(3, 24))
    assert [page_statements(queries, director, url), page_statements(queries, parent, url)] == short
    assert short == [CONTRACT_STATEMENTS, CONTRACT_STATEMENTS + 1]


def test_the_contract_page_shows_every_refund_and_credits_only_those_standing(client_for, signed, session):
    money_history(session, signed, range(2))
    html = client_for(signed.director).get(f"/contracts/{signed.contract.id}").text
    assert html.count('class="void"') == 2
    fresh(session)
    from nursery_ops.billing.service import contract_money

    money = contract_money(session, session.get(Contract, signed.contract.id))
    assert money.refunded_fen == 4000 and len(money.refunds) == 2
    assert money.receivers == {signed.director.id: signed.director.full_name}
