"""/disclosure (信息公示): anyone reads it without signing in; the director edits it, every change a new version."""

from datetime import date

import pytest
from sqlmodel import Session, select

from nursery_ops.audit import AuditEntry
from nursery_ops.auth.access import SESSION_COOKIE
from nursery_ops.contracts.models import ContractStatus
from nursery_ops.disclosure.models import DisclosureText, Section
from nursery_ops.enrolment.models import Enrolment
from tests import factories as f

EMPTY = {section.value: "" for section in Section} | {f"v_{section.value}": "0" for section in Section}


def versions(engine) -> list[DisclosureText]:
    with Session(engine) as session:
        return list(session.exec(select(DisclosureText).order_by(DisclosureText.id)).all())


def audit_entries(engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == "disclosure_changed")
                                 .order_by(AuditEntry.id)).all())


def publish(client, **texts):
    return client.post("/disclosure/edit", {**EMPTY, **texts})


def test_anyone_reads_the_public_page_without_signing_in(anonymous, world):
    assert SESSION_COOKIE not in anonymous.http.cookies
    page = anonymous.get("/disclosure")
    assert page.status_code == 200
    for heading in ("Public information (信息公示)", "Fee items and standards", "Refund method", "Daily routine",
                    "Weekly menu", "Health and safety measures", "Filing number", "Complaint channel"):
        assert heading in page.text
    assert "Not published yet." in page.text and "data-print" in page.text
    assert "/disclosure/edit" not in page.text


def test_the_sign_in_page_links_to_the_public_page(anonymous):
    assert 'href="/disclosure"' in anonymous.get("/login").text


def test_the_director_publishes_and_the_public_reads_it(client_for, world, anonymous, engine):
    client = client_for(world.director)
    assert client.get("/disclosure/edit").status_code == 200
    response = publish(client, fees="全日托 2800 元/月", filing="备案号 A-001", complaints="园长电话 0371-66668888")
    assert response.status_code == 303 and response.headers["location"] == "/disclosure"
    saved = versions(engine)
    assert {(text.section, text.version) for text in saved} == {(Section.fees, 1), (Section.filing, 1),
                                                                 (Section.complaints, 1)}
    assert all(text.changed_by_id == world.director.id for text in saved)
    entries = audit_entries(engine)
    assert len(entries) == 3 and all(entry.before is None and entry.actor_id == world.director.id for entry in entries)
    page = anonymous.get("/disclosure")
    assert "全日托 2800 元/月" in page.text and "备案号 A-001" in page.text and "Last updated" in page.text


def test_a_change_is_a_new_version_audited_with_the_text_before_and_after(client_for, world, engine):
    client = client_for(world.director)
    publish(client, menu="周一：小米粥", routine="7:30 入园")
    response = publish(client, menu="周一：南瓜粥", routine="7:30 入园", v_menu="1", v_routine="1")
    assert response.status_code == 303
    menus = [text for text in versions(engine) if text.section is Section.menu]
    assert [(text.version, text.body) for text in menus] == [(1, "周一：小米粥"), (2, "周一：南瓜粥")]
    assert len([text for text in versions(engine) if text.section is Section.routine]) == 1
    last = audit_entries(engine)[-1]
    assert last.before["body"] == "周一：小米粥" and last.before["version"] == 1
    assert last.after["body"] == "周一：南瓜粥" and last.after["version"] == 2
    history = client.get("/disclosure/history")
    assert history.status_code == 200 and "周一：小米粥" in history.text and "周一：南瓜粥" in history.text
    assert "Version 2" in history.text and "李园长" in history.text


def test_saving_unchanged_texts_adds_no_version(client_for, world, engine):
    client = client_for(world.director)
    publish(client, menu="周一：小米粥")
    assert publish(client, menu="周一：小米粥", v_menu="1").status_code == 303
    # A browser sends a textarea's line breaks as CRLF: the same text, not a change.
    publish(client, menu="周一：小米粥", v_menu="1", routine="7:30 入园\n8:30 早餐")
    assert publish(client, menu="周一：小米粥", v_menu="1", routine="7:30 入园\r\n8:30 早餐", v_routine="1").status_code == 303
    assert len(versions(engine)) == 2


def test_a_section_changed_by_someone_else_meanwhile_is_not_overwritten(client_for, world, engine):
    client = client_for(world.director)
    publish(client, menu="周一：小米粥")
    # This form was opened before version 1 existed.
    response = publish(client, menu="周一：面条", v_menu="0")
    assert response.status_code == 400
    assert 'id="menu-error"' in response.text and "Someone else changed this section" in response.text
    assert [text.body for text in versions(engine)] == ["周一：小米粥"]


def test_a_too_long_filing_number_is_refused_next_to_the_field(client_for, world, engine):
    response = publish(client_for(world.director), filing="号" * 101, menu="周一：小米粥")
    assert response.status_code == 400
    assert 'id="filing-error"' in response.text and "This is too long." in response.text
    assert versions(engine) == []


def test_the_fee_section_starts_from_the_contracts_in_force(client_for, world, session):
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    f.make_contract(session, enrolment, world.director, status=ContractStatus.active, start_date=date(2020, 1, 1),
                    end_date=date(2099, 12, 31), deposit_fen=100000)
    session.commit()
    page = client_for(world.director).get("/disclosure/edit")
    assert "Full day (全日托): care fee CN¥2,800.00 per month; meal fee CN¥20.00 per day; deposit CN¥1,000.00" in page.text
    assert "1 contract" in page.text


@pytest.mark.parametrize("who", ["parent_x", "caregiver_a", "health"])
def test_only_the_director_edits_the_public_page(client_for, world, engine, who):
    client = client_for(getattr(world, who))
    assert client.get("/disclosure").status_code == 200
    assert client.get("/disclosure/edit").status_code == 403
    assert client.get("/disclosure/history").status_code == 403
    assert publish(client, menu="周一：小米粥").status_code == 403
    assert versions(engine) == []


@pytest.mark.parametrize("url", ["/disclosure/edit", "/disclosure/history"])
def test_anonymous_editors_are_sent_to_sign_in(anonymous, url):
    response = anonymous.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert anonymous.post("/disclosure/edit", EMPTY).status_code == 303


def test_publishing_needs_the_csrf_token(client_for, world, engine):
    response = client_for(world.director).post("/disclosure/edit", {**EMPTY, "menu": "周一"}, csrf_token=False)
    assert response.status_code == 403 and versions(engine) == []


@pytest.mark.parametrize(("method", "url"), [("put", "/disclosure"), ("post", "/disclosure"), ("delete", "/disclosure/edit"),
                                             ("post", "/disclosure/history")])
def test_the_wrong_method_is_405(client_for, world, method, url):
    assert getattr(client_for(world.director).http, method)(url).status_code == 405


def test_the_public_page_takes_the_same_number_of_queries_however_many_versions(client_for, world, anonymous, queries):
    client = client_for(world.director)
    publish(client, menu="一")
    with queries:
        anonymous.get("/disclosure")
    few = queries.count
    for version in range(1, 5):
        publish(client, menu=f"第{version + 1}版", v_menu=str(version), fees=f"费{version}", v_fees=str(version - 1))
    with queries:
        page = anonymous.get("/disclosure")
    assert queries.count == few and "第5版" in page.text


def test_the_directors_text_is_shown_as_text_with_its_line_breaks_never_as_html(client_for, world, anonymous):
    typed = '周一：小米粥\r\n周二：<script>alert("x")</script><b>南瓜粥</b>'
    assert publish(client_for(world.director), menu=typed).status_code == 303
    page = anonymous.get("/disclosure").text
    assert "<script>alert" not in page and "<b>南瓜粥</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;南瓜粥&lt;/b&gt;" in page
    # Stored with one kind of line break, shown in a block that keeps them (white-space: pre-line).
    assert '<div class="prose">周一：小米粥\n周二：' in page


def test_optional_services_on_the_contracts_in_force_are_offered_as_fee_items(client_for, world, session):
    from nursery_ops.contracts.models import ChargeUnit, ContractCharge

    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    contract = f.make_contract(session, enrolment, world.director, status=ContractStatus.active,
                               start_date=date(2020, 1, 1), end_date=date(2099, 12, 31))
    session.add(ContractCharge(contract_id=contract.id, name="蒙氏兴趣课", amount_fen=30000, unit=ChargeUnit.month))
    session.commit()
    page = client_for(world.director).get("/disclosure/edit").text
    assert "Optional service 蒙氏兴趣课: CN¥300.00 per month" in page
    # Never published yet: the fee section starts with the care fees and the optional services.
    fees_box = page[page.index('name="fees"'):]
    assert "Full day (全日托): care fee CN¥2,800.00" in fees_box.split("</textarea>")[0]
    assert "Optional service 蒙氏兴趣课: CN¥300.00 per month" in fees_box.split("</textarea>")[0]



@pytest.mark.parametrize(("care_fee_fen", "warned"), [(280000, False), (300000, True)])
def test_the_director_is_warned_when_a_contract_charges_an_amount_the_public_fees_do_not_state(
    client_for, world, session, care_fee_fen, warned
):
    enrolment = session.exec(select(Enrolment).where(Enrolment.child_id == world.child_x.id)).one()
    f.make_contract(session, enrolment, world.director, status=ContractStatus.active, start_date=date(2020, 1, 1),
                    end_date=date(2099, 12, 31), care_fee_fen=care_fee_fen, deposit_fen=100000)
    session.commit()
    client = client_for(world.director)
    assert publish(client, fees="全日托 2,800 元/月\n伙食费 20 元/天\n押金 1000 元").status_code == 303
    page = client.get("/disclosure/edit").text
    assert ("Not in the published fees" in page) is warned
    assert ("Some amounts the contracts charge are not in the published fee items." in page) is warned
