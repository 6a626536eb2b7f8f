"""/audit, /audit.csv and /audit/overrides: the director reads the audit log; nobody else does."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from nursery_ops.audit import AuditEntry

MARCH_2 = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def entry(session, actor, action="child_updated", *, at=MARCH_2, entity="child", entity_id=None, child=None,
          before=None, after=None, reason=None) -> AuditEntry:
    row = AuditEntry(at=at, actor_id=actor.id if actor else None, action=action, entity=entity, entity_id=entity_id,
                     child_id=child.id if child else None, before=before, after=after, reason=reason)
    session.add(row)
    session.commit()
    return row


def shown(response) -> int:
    return response.text.count('id="entry-')


# ---------------------------------------------------------------- who may read it


def test_the_director_reads_the_audit_trail_in_plain_words_and_local_time(client_for, world, session):
    row = entry(session, world.caregiver_a, "checked_in", entity="attendance", entity_id=4, child=world.child_x)
    response = client_for(world.director).get("/audit")
    assert response.status_code == 200
    assert f'id="entry-{row.id}"' in response.text
    assert "Checked in" in response.text
    assert "张老师" in response.text
    assert "12:00" in response.text  # 04:00 UTC shown in the nursery's zone
    assert f'href="/audit?child_id={world.child_x.id}"' in response.text


@pytest.mark.parametrize("url", ["/audit", "/audit.csv", "/audit/overrides"])
@pytest.mark.parametrize("who", ["caregiver_a", "health", "parent_x"])
def test_everyone_but_the_director_is_refused(client_for, world, url, who):
    assert client_for(getattr(world, who)).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/audit", "/audit.csv", "/audit/overrides"])
def test_anonymous_people_are_sent_to_sign_in(anonymous, url):
    response = anonymous.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_menu_offers_the_audit_trail_to_the_director_only(client_for, world):
    assert 'href="/audit"' in client_for(world.director).get("/children").text
    assert 'href="/audit"' not in client_for(world.caregiver_a).get("/children").text


def test_posting_to_the_audit_trail_is_not_allowed(client_for, world):
    assert client_for(world.director).post("/audit").status_code == 405


# ---------------------------------------------------------------- filters


def test_the_person_filter_shows_only_that_persons_entries(client_for, world, session):
    mine = entry(session, world.caregiver_a)
    other = entry(session, world.health)
    response = client_for(world.director).get(f"/audit?person_id={world.caregiver_a.id}")
    assert f'id="entry-{mine.id}"' in response.text and f'id="entry-{other.id}"' not in response.text


def test_the_child_filter_shows_only_that_childs_entries(client_for, world, session):
    mine = entry(session, world.director, child=world.child_x)
    other = entry(session, world.director, child=world.child_y)
    response = client_for(world.director).get(f"/audit?child_id={world.child_x.id}")
    assert f'id="entry-{mine.id}"' in response.text and f'id="entry-{other.id}"' not in response.text


def test_the_kind_and_action_filters_narrow_the_entries(client_for, world, session):
    bill = entry(session, world.director, "bill_issued", entity="bill", entity_id=3)
    voided = entry(session, world.director, "bill_voided", entity="bill", entity_id=3)
    child = entry(session, world.director, "child_updated", entity="child")
    client = client_for(world.director)
    by_kind = client.get("/audit?entity=bill").text
    assert f'id="entry-{bill.id}"' in by_kind and f'id="entry-{voided.id}"' in by_kind
    assert f'id="entry-{child.id}"' not in by_kind
    by_action = client.get("/audit?entity=bill&action=bill_voided").text
    assert f'id="entry-{voided.id}"' in by_action and f'id="entry-{bill.id}"' not in by_action


def test_a_kind_of_record_without_a_label_can_still_be_filtered(client_for, world, session):
    shift = entry(session, world.director, "clocked_in", entity="staff_shift", entity_id=2)
    text = client_for(world.director).get("/audit?entity=staff_shift").text
    assert f'id="entry-{shift.id}"' in text and "clocked_in" in text
    assert '<option value="staff_shift" selected>' in text


def test_who_read_a_childs_health_record_is_one_filter_away(client_for, world, session):
    read = entry(session, world.health, "health_record_read", entity="growth", child=world.child_x)
    entry(session, world.health, "growth_measurement_recorded", entity="growth_measurement", child=world.child_x)
    response = client_for(world.director).get(f"/audit?action=health_record_read&child_id={world.child_x.id}")
    assert shown(response) == 1 and f'id="entry-{read.id}"' in response.text
    assert "Read a health record" in response.text and "刘保健" in response.text


def test_an_entry_at_23_30_utc_belongs_to_the_next_local_day(client_for, world, session):
    late = entry(session, world.director, at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 07:30 on 2 March in Shanghai
    client = client_for(world.director)
    assert f'id="entry-{late.id}"' in client.get("/audit?date_from=2026-03-02&date_to=2026-03-02").text
    assert f'id="entry-{late.id}"' not in client.get("/audit?date_from=2026-03-01&date_to=2026-03-01").text


def test_the_date_range_includes_local_midnight_and_excludes_the_next(client_for, world, session):
    midnight = entry(session, world.director, at=datetime(2026, 3, 1, 16, 0, tzinfo=UTC))  # 00:00 on 2 March
    next_midnight = entry(session, world.director, at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # 00:00 on 3 March
    text = client_for(world.director).get("/audit?date_from=2026-03-02&date_to=2026-03-02").text
    assert f'id="entry-{midnight.id}"' in text and f'id="entry-{next_midnight.id}"' not in text


@pytest.mark.parametrize(("query", "field", "message"), [
    ("date_from=2026-13-01", "date_from", "Enter a date as YYYY-MM-DD."),
    ("date_to=yesterday", "date_to", "Enter a date as YYYY-MM-DD."),
    ("date_from=2026-03-05&date_to=2026-03-01", "date_to", "The end date is before the start date."),
    ("person_id=99999", "person_id", "Choose a person from the list."),
    ("person_id=abc", "person_id", "Enter a whole number."),
    ("child_id=99999", "child_id", "Choose a child from the list."),
])
def test_bad_filter_input_is_explained_next_to_its_field(client_for, world, session, query, field, message):
    entry(session, world.director)
    response = client_for(world.director).get(f"/audit?{query}")
    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in response.text
    assert shown(response) == 0


def test_a_bad_filter_on_the_csv_is_a_plain_400(client_for, world):
    response = client_for(world.director).get("/audit.csv?date_from=2026-13-01")
    assert response.status_code == 400
    assert "date_from" in response.text


# ---------------------------------------------------------------- rows, paging, statements


def test_a_row_shows_the_changed_fields_and_the_full_record(client_for, world, session):
    entry(session, world.director, before={"full_name": "王小明", "allergies": ""},
          after={"full_name": "王小明", "allergies": "花生"})
    text = client_for(world.director).get("/audit").text
    assert "<code>allergies</code>" in text and "花生" in text
    assert "<code>full_name</code>" not in text  # unchanged
    assert "<details>" in text and "&#34;full_name&#34;: &#34;王小明&#34;" in text


def test_entries_come_newest_first_fifty_a_page(client_for, world, session):
    session.add_all([AuditEntry(at=MARCH_2 + timedelta(minutes=n), actor_id=world.director.id, action="child_updated",
                                entity="child") for n in range(60)])
    session.commit()
    newest, oldest = session.exec(select(AuditEntry).order_by(AuditEntry.at.desc())).all()[::59]
    client = client_for(world.director)
    first = client.get("/audit")
    assert shown(first) == 50
    assert first.text.index('id="entry-') == first.text.index(f'id="entry-{newest.id}"')
    assert f'id="entry-{oldest.id}"' not in first.text
    assert 'href="/audit?page=2"' in first.text
    second = client.get("/audit?page=2")
    assert shown(second) == 10 and f'id="entry-{oldest.id}"' in second.text
    assert 'href="/audit?page=1"' in second.text


def test_the_next_page_keeps_the_filter(client_for, world, session):
    session.add_all([AuditEntry(at=MARCH_2, actor_id=world.director.id, action="child_updated", entity="child",
                                child_id=world.child_x.id) for _ in range(51)])
    session.commit()
    text = client_for(world.director).get(f"/audit?child_id={world.child_x.id}&entity=child").text
    assert f'href="/audit?child_id={world.child_x.id}&amp;entity=child&amp;page=2"' in text


def test_a_page_takes_the_same_number_of_statements_for_10_or_100_entries(client_for, world, session, queries):
    client = client_for(world.director)

    def count(entries: int) -> int:
        people = (world.caregiver_a, world.caregiver_b, world.health, world.parent_x)
        children = (world.child_x, world.child_y)
        session.add_all([AuditEntry(at=MARCH_2, actor_id=people[n % 4].id, action="checked_in", entity="attendance",
                                    entity_id=n, child_id=children[n % 2].id, after={"n": n}) for n in range(entries)])
        session.commit()
        client.get("/audit")  # the session touch happens once, on the first page
        with queries:
            assert client.get("/audit").status_code == 200
        return queries.count

    assert count(10) == count(90)


# ---------------------------------------------------------------- overrides


def test_the_overrides_list_shows_every_block_override_with_its_reason(client_for, world, session):
    decision = {"mode": "block", "message": "This room already has {taken} children: its cap is {cap}.",
                "params": {"taken": 15, "cap": 15}}
    enrolment = entry(session, world.director, "override", entity="enrolment", entity_id=9, child=world.child_x,
                      after={"decisions": [decision]}, reason="家长搬家，临时安排")
    bill = entry(session, world.director, "bill_issued", entity="bill", entity_id=12, child=world.child_y,
                 reason="家长要求一次付清半年")
    plain_bill = entry(session, world.director, "bill_issued", entity="bill", entity_id=13, child=world.child_y)
    void = entry(session, world.director, "bill_voided", entity="bill", entity_id=12, reason="金额开错")
    text = client_for(world.director).get("/audit/overrides").text
    assert f'id="entry-{enrolment.id}"' in text and f'id="entry-{bill.id}"' in text
    assert f'id="entry-{plain_bill.id}"' not in text and f'id="entry-{void.id}"' not in text
    assert "家长搬家，临时安排" in text and "家长要求一次付清半年" in text
    assert "This room already has 15 children: its cap is 15." in text
    assert "Prepayment cap" in text
    assert f'href="/children/{world.child_x.id}"' in text and 'href="/bills/12"' in text


def test_an_override_in_the_trail_names_the_rule_it_went_past(client_for, world, session):
    entry(session, world.director, "override", entity="attendance", entity_id=3, child=world.child_x, reason="家长已到园陪同",
          after={"decisions": [{"mode": "block", "message": "Ratio {ratio}", "params": {"ratio": "1:5"}}]})
    text = client_for(world.director).get("/audit?action=override").text
    assert "Overrode a BLOCK rule" in text and "Ratio 1:5" in text and "家长已到园陪同" in text


def test_the_overrides_list_says_so_when_there_are_none(client_for, world):
    assert "No BLOCK rule has been overridden." in client_for(world.director).get("/audit/overrides").text


# ---------------------------------------------------------------- CSV


def test_the_csv_exports_the_current_filter_with_a_bom(client_for, world, session):
    entry(session, world.health, "health_record_read", entity="growth", child=world.child_x)
    entry(session, world.director, "child_updated", child=world.child_x, before={"allergies": ""},
          after={"allergies": "=花生"})
    response = client_for(world.director).get(f"/audit.csv?child_id={world.child_x.id}&action=child_updated")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Time,Person,Action,Kind of record")
    assert len(lines) == 2
    assert lines[1].startswith("2026-03-02 12:00:00,李园长,Child's details changed,Child,,王小明")
    assert "allergies:  → =花生" in lines[1]


# ---------------------------------------------------------------- from the child's record


def test_the_childs_record_links_the_director_to_its_audit_trail(client_for, world):
    link = f'href="/audit?child_id={world.child_x.id}"'
    assert link in client_for(world.director).get(f"/children/{world.child_x.id}").text
    assert link not in client_for(world.caregiver_a).get(f"/children/{world.child_x.id}").text


def test_the_overrides_list_takes_the_same_number_of_statements_for_2_or_40_overrides(client_for, world, session, queries):
    client = client_for(world.director)

    def count(overrides: int) -> int:
        people = (world.director, world.caregiver_a)
        children = (world.child_x, world.child_y)
        session.add_all([AuditEntry(at=MARCH_2, actor_id=people[n % 2].id, action="override", entity="attendance",
                                    entity_id=n, child_id=children[n % 2].id, reason="家长陪同",
                                    after={"decisions": []}) for n in range(overrides)])
        session.commit()
        client.get("/audit/overrides")
        with queries:
            assert client.get("/audit/overrides").status_code == 200
        return queries.count

    assert count(2) == count(38)
