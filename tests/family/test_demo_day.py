"""The demo parent (README: `parent`) has a day to read: both children arrived today, with a log and a photo."""

import re

from sqlmodel import select

from nursery_ops.auth.models import Person
from nursery_ops.clock import local_today
from nursery_ops.demo import load_demo
from nursery_ops.family.demo import PHOTO_CAPTION, last_weekday_before


def test_the_demo_parent_sees_today_and_the_last_weekday_for_both_children_and_a_photo_that_opens(session, client_for):
    load_demo(session, local_today())
    session.commit()
    parent = client_for(session.exec(select(Person).where(Person.username == "parent")).one())

    html = parent.get("/family").text
    assert "周子墨" in html and "周雨桐" in html
    assert html.count("Morning check (晨检)") == 2 and "Breakfast: ate most" in html and "Drank 150 ml" in html
    assert PHOTO_CAPTION in html
    photo = parent.get(re.search(r'class="family-photo">\s*<img src="([^"]+)"', html).group(1))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"

    child_id = re.search(r'href="/family/children/(\d+)/days"', html).group(1)
    earlier = last_weekday_before(local_today()).isoformat()
    day = parent.get(f"/family/children/{child_id}/days/{earlier}")
    assert day.status_code == 200 and "collected by" in day.text and "Slept 12:10–14:20" in day.text
