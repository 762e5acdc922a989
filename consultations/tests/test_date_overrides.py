"""Date overrides: per-date hours replacing the weekly rules (service, slots, booking, API)."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine

from consultations.models import ExpertDateOverride
from consultations.services import availability, scheduling
from consultations.tests.factories import make_consultation, make_user
from consultations.tests.scheduling_helpers import (
    BOOKING_NOW,
    scheduling_expert,
    set_rules,
    starts,
    utc,
)
from project.api_errors import NotFound, ServiceError

# Time frozen at BOOKING_NOW by the shared `fixed_now` fixture (consultations/tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_now")]

NOW = BOOKING_NOW  # a Sunday
URL = "/api/v1/consultations/experts/availability/overrides/"


def w(start: str, end: str) -> dict:
    def t(v: str) -> time:
        return time.max if v == "24:00" else time.fromisoformat(v)

    return {"start_time": t(start), "end_time": t(end)}


def weekday_expert(tz: str = "UTC"):
    expert = scheduling_expert(tz)
    set_rules(expert, [(wd, "09:00", "17:00") for wd in range(5)])  # Mon-Fri
    return expert


def day_slots(expert, d: date, **kw):
    return scheduling.get_available_slots(expert, date_from=d, date_to=d, **kw)


# --------------------------------------------------------------------------- slots


def test_extra_hours_on_a_saturday_open_slots_the_weekly_rules_do_not_have():
    expert = weekday_expert()
    saturday = date(2026, 3, 7)
    assert day_slots(expert, saturday) == []
    availability.set_date_override(expert, day=saturday, windows=[w("10:00", "12:00")])
    assert starts(day_slots(expert, saturday)) == [
        "2026-03-07 10:00",
        "2026-03-07 10:30",
        "2026-03-07 11:00",
        "2026-03-07 11:30",
    ]


def test_shorter_hours_replace_the_weekly_rule_of_that_date_only():
    expert = weekday_expert()
    availability.set_date_override(expert, day=date(2026, 3, 3), windows=[w("09:00", "10:00")])
    assert starts(day_slots(expert, date(2026, 3, 3))) == ["2026-03-03 09:00", "2026-03-03 09:30"]
    assert len(day_slots(expert, date(2026, 3, 4))) == 16  # the next Wednesday is untouched


def test_closed_date_has_no_slots_and_refuses_bookings():
    expert = weekday_expert()
    monday = date(2026, 3, 2)
    availability.set_date_override(expert, day=monday, windows=[], note="Bank holiday")
    assert day_slots(expert, monday) == []
    with pytest.raises(ServiceError) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 2, 10), 30)
    assert exc.value.code == "outside_availability"
    # The nearest alternatives skip the closed day.
    assert all(a["start"] >= "2026-03-03" for a in exc.value.extra["alternatives"])


def test_booking_inside_override_hours_is_accepted_and_longer_sessions_must_fit():
    expert = weekday_expert()
    availability.set_date_override(expert, day=date(2026, 3, 7), windows=[w("10:00", "11:00")])
    scheduling.ensure_bookable(expert, utc(2026, 3, 7, 10), 60)
    with pytest.raises(ServiceError) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 7, 10, 30), 60)
    assert exc.value.code == "outside_availability"


def test_override_dates_are_in_the_expert_zone():
    # Tokyo is UTC+9: Saturday 2026-03-07 09:00-10:00 there is Friday 00:00-01:00 UTC.
    expert = scheduling_expert("Asia/Tokyo")
    availability.set_date_override(expert, day=date(2026, 3, 7), windows=[w("09:00", "10:00")])
    slots = day_slots(expert, date(2026, 3, 7))
    assert [s.start for s in slots] == [utc(2026, 3, 7, 0, 0), utc(2026, 3, 7, 0, 30)]


def test_paris_spring_forward_override_counts_real_hours():
    # 2026-03-29: Paris clocks jump 02:00 -> 03:00. 01:00-05:00 wall time is 3 real hours.
    expert = scheduling_expert("Europe/Paris")
    availability.set_date_override(expert, day=date(2026, 3, 29), windows=[w("01:00", "05:00")])
    slots = day_slots(expert, date(2026, 3, 29))
    assert len(slots) == 6
    assert slots[0].start == utc(2026, 3, 29, 0, 0)  # 01:00 CET
    assert slots[-1].start == utc(2026, 3, 29, 2, 30)  # 04:30 CEST
    assert all(s.start.astimezone(scheduling.get_zone("Europe/Paris")).hour != 2 for s in slots)


def test_paris_fall_back_override_offers_the_repeated_hour_twice():
    # 2026-10-25: Paris clocks go back 03:00 -> 02:00; 01:00-04:00 wall time is 4 real hours.
    with time_machine.travel(utc(2026, 10, 1, 12), tick=False):
        expert = scheduling_expert("Europe/Paris")
        availability.set_date_override(
            expert, day=date(2026, 10, 25), windows=[w("01:00", "04:00")]
        )
        slots = day_slots(expert, date(2026, 10, 25))
    assert len(slots) == 8
    assert slots[0].start == utc(2026, 10, 24, 23, 0)  # 01:00 CEST
    assert slots[-1].start == utc(2026, 10, 25, 2, 30)  # 03:30 CET


def test_an_expert_with_only_an_override_gets_a_next_available_time():
    expert = scheduling_expert()
    expert.refresh_from_db()
    assert expert.next_available_at is None
    availability.set_date_override(expert, day=date(2026, 3, 10), windows=[w("14:00", "15:00")])
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 10, 14, 0)
    availability.remove_date_override(expert, date(2026, 3, 10))
    expert.refresh_from_db()
    assert expert.next_available_at is None


def test_closing_the_soonest_day_moves_next_available_at():
    expert = weekday_expert()
    availability.replace_weekly_rules(
        expert, [{"weekday": wd, "start_time": time(9), "end_time": time(17)} for wd in range(5)]
    )
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 2, 9)
    availability.set_date_override(expert, day=date(2026, 3, 2), windows=[])
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 3, 9)


def test_bookings_still_block_time_inside_override_hours():
    expert = weekday_expert()
    availability.set_date_override(expert, day=date(2026, 3, 7), windows=[w("10:00", "11:00")])
    make_consultation(expert=expert, start_at=utc(2026, 3, 7, 10), minutes=30)
    assert starts(day_slots(expert, date(2026, 3, 7))) == ["2026-03-07 10:30"]


# --------------------------------------------------------------------------- service rules


@pytest.mark.parametrize(
    ("windows", "field", "code"),
    [
        ([w("10:00", "09:00")], "windows[0].end_time", "end_before_start"),
        ([w("09:00", "12:00"), w("11:00", "13:00")], "windows[1]", "overlapping_windows"),
    ],
)
def test_invalid_windows_are_refused_and_nothing_is_written(windows, field, code):
    expert = weekday_expert()
    with pytest.raises(ServiceError) as exc:
        availability.set_date_override(expert, day=date(2026, 3, 7), windows=windows)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert not ExpertDateOverride.objects.exists()


def test_past_dates_are_refused():
    expert = weekday_expert()
    with pytest.raises(ServiceError) as exc:
        availability.set_date_override(expert, day=date(2026, 2, 28), windows=[])
    assert exc.value.field == "date"


def test_setting_twice_replaces_and_removing_twice_is_404():
    expert = weekday_expert()
    availability.set_date_override(expert, day=date(2026, 3, 7), windows=[w("10:00", "11:00")])
    availability.set_date_override(expert, day=date(2026, 3, 7), windows=[w("13:00", "24:00")])
    row = ExpertDateOverride.objects.get()
    assert row.windows == [{"start_time": "13:00", "end_time": "24:00"}]
    availability.remove_date_override(expert, date(2026, 3, 7))
    with pytest.raises(NotFound):
        availability.remove_date_override(expert, date(2026, 3, 7))


def test_override_change_is_announced_live_after_commit(django_capture_on_commit_callbacks):
    from unittest import mock

    expert = weekday_expert()
    with (
        mock.patch("realtime.events._send_now") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        availability.set_date_override(expert, day=date(2026, 3, 7), windows=[])
    (user_ids, envelope), _ = send.call_args
    assert user_ids == [expert.user_id]
    assert envelope["type"] == "availability.updated"
    assert envelope["data"] == {
        "expert_id": expert.pk,
        "change": "override_created",
        "date": "2026-03-07",
    }


# --------------------------------------------------------------------------- API


def test_api_put_list_delete(client_for):
    expert = weekday_expert()
    api = client_for(expert.user)
    r = api.put(
        f"{URL}2026-03-07/",
        {"windows": [{"start_time": "10:00", "end_time": "12:00"}], "note": "Saturday clinic"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["windows"] == [{"start_time": "10:00", "end_time": "12:00"}]
    assert r.json()["closed"] is False
    api.put(f"{URL}2026-03-02/", {"windows": []}, format="json")
    listed = api.get(URL).json()
    assert [(o["date"], o["closed"]) for o in listed] == [
        ("2026-03-02", True),
        ("2026-03-07", False),
    ]
    slots = api.get(f"/api/v1/consultations/experts/{expert.pk}/time-slots/?date=2026-03-07")
    assert len(slots.json()["slots"]) == 4
    assert api.delete(f"{URL}2026-03-07/").status_code == 204
    assert api.delete(f"{URL}2026-03-07/").status_code == 404
    assert [o["date"] for o in api.get(URL).json()] == ["2026-03-02"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "2026-03-07/",
            {"windows": [{"start_time": "12:00", "end_time": "10:00"}]},
            "windows[0].end_time",
        ),
        ("2026-03-07/", {"windows": [{"start_time": "25:00", "end_time": "26:00"}]}, "windows"),
        ("2026-13-40/", {"windows": []}, "date"),
        ("2026-02-01/", {"windows": []}, "date"),
        ("2026-03-07/", {}, "windows"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(client_for, path, body, field):
    expert = weekday_expert()
    r = client_for(expert.user).put(f"{URL}{path}", body, format="json")
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"], r.json()
    assert not ExpertDateOverride.objects.exists()


def test_api_non_experts_are_refused(client_for):
    user = make_user()
    assert (
        client_for(user).put(f"{URL}2026-03-07/", {"windows": []}, format="json").status_code == 403
    )
    assert client_for(user).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code in (401, 403)


def test_an_expert_only_sees_and_changes_their_own_overrides(client_for):
    mine, theirs = weekday_expert(), weekday_expert()
    availability.set_date_override(theirs, day=date(2026, 3, 7), windows=[])
    api = client_for(mine.user)
    assert api.get(URL).json() == []
    assert api.delete(f"{URL}2026-03-07/").status_code == 404
    assert ExpertDateOverride.objects.filter(expert=theirs).exists()
