"""growth.service.latest_flags: the contract for /health and /director, and the queries the family page will reuse."""

from datetime import timedelta

from nursery_ops.clock import local_today, utcnow
from nursery_ops.growth import service
from nursery_ops.growth.who import Indicator
from tests import factories as f

TODAY = local_today()


def test_flags_come_from_each_childs_latest_measurement(world, session):
    x, y = world.child_x, world.child_y  # girls of 18 and 30 months
    f.make_measurement(session, x, world.health, TODAY - timedelta(days=60), weight_g=7500)  # low, but older
    f.make_measurement(session, x, world.health, TODAY - timedelta(days=1), weight_g=10500, length_mm=810)
    f.make_measurement(session, y, world.health, TODAY - timedelta(days=10), weight_g=19000, length_mm=890, position="standing")
    quiet = f.make_child(session, "李安静", months=20)
    session.commit()

    flags = service.latest_flags(session, [x.id, y.id, quiet.id])

    assert flags[x.id] == []
    assert flags[y.id] == [
        "Weight-for-age above +2 SD",
        "Weight-for-length/height above +2 SD",
        "BMI-for-age above +2 SD",
    ]
    assert flags[quiet.id] == []


def test_a_voided_latest_measurement_does_not_count(world, session):
    f.make_measurement(session, world.child_x, world.health, TODAY - timedelta(days=20), weight_g=7500)
    wrong = f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=10500)
    wrong.voided_at, wrong.voided_by_id, wrong.void_reason = utcnow(), world.health.id, "wrong child"
    session.commit()
    assert service.latest_flags(session, [world.child_x.id]) == {world.child_x.id: ["Weight-for-age below −2 SD"]}


def test_the_same_day_counts_the_later_entry(world, session):
    f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=7500)
    f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=10500)
    session.commit()
    assert service.latest_flags(session, [world.child_x.id]) == {world.child_x.id: []}


def test_one_query_for_any_number_of_children(world, session, queries):
    children = [f.make_child(session, f"孩子{n}", months=10 + n) for n in range(12)]
    for child in children:
        f.make_measurement(session, child, world.health, TODAY - timedelta(days=40), weight_g=6000)
        f.make_measurement(session, child, world.health, TODAY, weight_g=6500, length_mm=700)
    session.commit()
    with queries:
        flags = service.latest_flags(session, [child.id for child in children])
    assert queries.count == 1
    assert len(flags) == 12 and all(isinstance(messages, list) for messages in flags.values())


def test_no_children_no_query(session, queries):
    with queries:
        assert service.latest_flags(session, []) == {}
    assert queries.count == 0


def test_a_childs_measurements_for_the_family_page(world, session):
    kept = f.make_measurement(session, world.child_x, world.health, TODAY - timedelta(days=5), weight_g=10000)
    voided = f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=10400)
    voided.voided_at, voided.void_reason = utcnow(), "typo"
    f.make_measurement(session, world.child_y, world.health, TODAY, weight_g=13000)
    session.commit()
    assert [m.id for m in service.child_measurements(session, world.child_x.id)] == [kept.id]
    assert [m.id for m in service.child_measurements(session, world.child_x.id, with_voided=True)] == [kept.id, voided.id]


def test_the_demo_growth_shows_warns_and_real_curves(world, session):
    from nursery_ops.growth.demo import add_demo_growth

    children = [world.child_x, world.child_y, f.make_child(session, "周大", months=26)]
    added = add_demo_growth(session, children, world.health, TODAY)
    session.commit()
    assert added == 21
    flags = service.latest_flags(session, [child.id for child in children])
    assert "Weight-for-age below −2 SD" in flags[children[1].id]
    assert "Weight-for-age above +2 SD" in flags[children[2].id]
    assert all(m.head_mm is None for m in service.child_measurements(session, children[1].id))  # 30 months


def test_growth_lines_for_a_family_page_leave_out_voided_measurements(world, session):
    f.make_measurement(session, world.child_x, world.health, TODAY - timedelta(days=5), weight_g=10000)
    voided = f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=10400)
    voided.voided_at, voided.voided_by_id, voided.void_reason = utcnow(), world.director.id, "typo"
    session.commit()
    staff = service.growth_lines(session, world.child_x)
    family = service.growth_lines(session, world.child_x, with_voided=False)
    assert [line.voided_by_name for line in staff] == [None, "李园长"]
    assert [line.measurement.weight_g for line in family] == [10000]
    assert family[0].by_name == "刘保健" and family[0].scores[Indicator.weight_for_age] is not None


def test_enrolled_children_with_warnings_are_one_query_listed_by_name_from_their_latest_measurement(world, session, queries):
    children = [f.make_child(session, f"孩子{n:02d}", months=10 + n) for n in range(12)]
    for index, child in enumerate(children):
        f.enrol(session, child, world.room_a)
        for back in range(300, 0, -30):  # months of history: only the latest counts
            f.make_measurement(session, child, world.health, TODAY - timedelta(days=back), weight_g=9000)
        f.make_measurement(session, child, world.health, TODAY, weight_g=5000 if index % 2 else 9000)
    never_enrolled = f.make_child(session, "未入托", months=12)
    f.make_measurement(session, never_enrolled, world.health, TODAY, weight_g=5000)
    session.commit()
    with queries:
        found = service.enrolled_with_warnings(session)
    assert queries.count == 1
    assert [child.full_name for child, _flags in found] == [f"孩子{n:02d}" for n in range(1, 12, 2)]
    assert all("Weight-for-age below −2 SD" in flags for _child, flags in found)


def test_a_measurements_z_scores_are_computed_once_and_each_caller_gets_its_own_copy(world, session):
    measurement = f.make_measurement(session, world.child_x, world.health, TODAY, weight_g=10500, length_mm=810)
    service._zscores.cache_clear()
    first = service.scores_of(world.child_x, measurement)
    first[Indicator.weight_for_age] = 99.0  # a caller changing its dict changes nothing cached
    second = service.scores_of(world.child_x, measurement)
    assert second[Indicator.weight_for_age] != 99.0
    assert service._zscores.cache_info().hits == 1
