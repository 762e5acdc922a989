"""consultations/services/scheduling.py: free slots, DST days, conflicts, alternatives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from consultations.models import Consultation, Expert, ExpertUnavailability
from consultations.services import scheduling
from consultations.tests.factories import make_consultation
from consultations.tests.scheduling_helpers import (
    every_day,
    scheduling_expert,
    set_rules,
    starts,
    utc,
)
from project.api_errors import Conflict, ServiceError

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
MON, SAT, SUN = 0, 5, 6

# 2026-03-01 (a Sunday) at noon UTC: before both 2026 spring-forward days.
MARCH_1 = utc(2026, 3, 1, 12, 0)
OCT_1 = utc(2026, 10, 1, 12, 0)


@pytest.fixture
def in_march():
    with time_machine.travel(MARCH_1, tick=False):
        yield MARCH_1


@pytest.fixture
def in_october():
    with time_machine.travel(OCT_1, tick=False):
        yield OCT_1


def slots_on(expert: Expert, day: str, tz=None, **kw):
    d = date.fromisoformat(day)
    return scheduling.get_available_slots(expert, date_from=d, date_to=d, viewer_tz=tz, **kw)


# --------------------------------------------------------------------------- basics


def test_slots_follow_the_grid_and_each_lists_the_lengths_that_fit(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "11:00")])
    slots = slots_on(expert, "2026-03-02")
    assert starts(slots) == [
        "2026-03-02 09:00",
        "2026-03-02 09:30",
        "2026-03-02 10:00",
        "2026-03-02 10:30",
    ]
    assert [s.durations for s in slots] == [(30, 60), (30, 60), (30, 60), (30,)]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_duration_filter_keeps_only_starts_where_that_length_fits(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "11:00")])
    slots = slots_on(expert, "2026-03-02", duration_minutes=60)
    assert starts(slots) == ["2026-03-02 09:00", "2026-03-02 09:30", "2026-03-02 10:00"]
    assert all(s.end - s.start == timedelta(minutes=60) for s in slots)


def test_length_not_offered_is_refused(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "11:00")])
    with pytest.raises(ServiceError) as exc:
        slots_on(expert, "2026-03-02", duration_minutes=45)
    assert exc.value.field == "duration"


def test_grid_interval_differs_from_session_length(in_march):
    expert = scheduling_expert(slot_interval_minutes=15, session_lengths=[45])
    set_rules(expert, [(MON, "09:00", "10:30")])
    assert starts(slots_on(expert, "2026-03-02")) == [
        "2026-03-02 09:00",
        "2026-03-02 09:15",
        "2026-03-02 09:30",
        "2026-03-02 09:45",
    ]


def test_several_ranges_per_day(in_march):
    expert = scheduling_expert(session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(MON, "09:00", "11:00"), (MON, "14:00", "16:00")])
    assert starts(slots_on(expert, "2026-03-02")) == [
        "2026-03-02 09:00",
        "2026-03-02 10:00",
        "2026-03-02 14:00",
        "2026-03-02 15:00",
    ]


def test_touching_rules_join_so_a_session_may_cross_midnight(in_march):
    expert = scheduling_expert(session_lengths=[60])
    set_rules(expert, [(MON, "22:00", "24:00"), (1, "00:00", "01:00")])
    slots = slots_on(expert, "2026-03-02")
    assert starts(slots) == [
        "2026-03-02 22:00",
        "2026-03-02 22:30",
        "2026-03-02 23:00",
        "2026-03-02 23:30",
    ]


def test_minimum_notice_and_past_times(in_march):
    # now = Sunday 12:00 UTC; 90 minutes' notice -> nothing before 13:30.
    expert = scheduling_expert(min_notice_minutes=90)
    set_rules(expert, [(SUN, "10:00", "15:00")])
    assert starts(slots_on(expert, "2026-03-01"))[0] == "2026-03-01 13:30"


def test_booking_horizon(in_march):
    expert = scheduling_expert(booking_horizon_days=2)
    set_rules(expert, every_day("09:00", "10:00"))
    slots = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 1), date_to=date(2026, 3, 10)
    )
    assert {s.start.date() for s in slots} == {date(2026, 3, 2), date(2026, 3, 3)}


def test_unknown_viewer_time_zone_is_a_400_naming_tz(in_march):
    expert = scheduling_expert()
    with pytest.raises(ServiceError) as exc:
        slots_on(expert, "2026-03-02", tz="Mars/Olympus_Mons")
    assert exc.value.field == "tz" and exc.value.status_code == 400


def test_no_rules_no_slots(in_march):
    assert slots_on(scheduling_expert(), "2026-03-02") == []


# --------------------------------------------------------------------------- busy time


def test_bookings_and_their_buffers_remove_slots(in_march):
    expert = scheduling_expert(buffer_after_minutes=15)
    set_rules(expert, [(MON, "09:00", "12:30")])
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 10, 0), minutes=60)
    # Existing busy: [10:00, 11:15). A new 30-minute slot at 09:30 would need [09:30, 10:15).
    assert starts(slots_on(expert, "2026-03-02")) == [
        "2026-03-02 09:00",
        "2026-03-02 11:30",
        "2026-03-02 12:00",
    ]


def test_buffer_before_is_respected_on_both_sides(in_march):
    expert = scheduling_expert(buffer_before_minutes=30)
    set_rules(expert, [(MON, "09:00", "12:00")])
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 10, 30), minutes=30)
    # Existing busy [10:00, 11:00). 09:30 needs [09:00, 10:00) -> fine; 11:00 needs [10:30, ...).
    assert starts(slots_on(expert, "2026-03-02")) == [
        "2026-03-02 09:00",
        "2026-03-02 09:30",
        "2026-03-02 11:30",
    ]


def test_cancelled_bookings_free_their_time(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "10:00")])
    make_consultation(
        expert=expert, start_at=utc(2026, 3, 2, 9, 0), status=Consultation.Status.CANCELLED
    )
    assert starts(slots_on(expert, "2026-03-02")) == ["2026-03-02 09:00", "2026-03-02 09:30"]


def test_unavailability_blocks_remove_slots(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "11:00")])
    ExpertUnavailability.objects.create(
        expert=expert, start_at=utc(2026, 3, 2, 9, 30), end_at=utc(2026, 3, 2, 10, 15)
    )
    assert starts(slots_on(expert, "2026-03-02")) == ["2026-03-02 09:00", "2026-03-02 10:30"]


def test_max_bookings_per_day_counts_expert_local_days(in_march):
    # Tokyo is UTC+9: 2026-03-02 16:00 UTC is Tuesday 2026-03-03 01:00 in Tokyo.
    expert = scheduling_expert("Asia/Tokyo", max_bookings_per_day=1)
    set_rules(expert, every_day("00:00", "03:00"))
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 16, 0), minutes=30)
    slots = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 2), date_to=date(2026, 3, 4)
    )
    tokyo_days = {s.start.astimezone(ZoneInfo("Asia/Tokyo")).date() for s in slots}
    assert tokyo_days == {date(2026, 3, 2), date(2026, 3, 4)}


def test_completed_bookings_count_toward_the_daily_limit_but_do_not_block_time(in_march):
    expert = scheduling_expert(max_bookings_per_day=2)
    set_rules(expert, [(MON, "09:00", "11:00")])
    make_consultation(
        expert=expert, start_at=utc(2026, 3, 2, 9, 0), status=Consultation.Status.PENDING
    )
    assert starts(slots_on(expert, "2026-03-02")) == ["2026-03-02 10:00", "2026-03-02 10:30"]
    make_consultation(
        expert=expert, start_at=utc(2026, 3, 2, 10, 0), status=Consultation.Status.CONFIRMED
    )
    assert slots_on(expert, "2026-03-02") == []


# --------------------------------------------------------------------------- DST, expert's zone


def test_paris_spring_forward_day_has_no_slots_in_the_missing_hour(in_march):
    expert = scheduling_expert("Europe/Paris")
    set_rules(expert, [(SUN, "01:00", "04:00")])
    slots = slots_on(expert, "2026-03-29")
    # 01:00-02:00 CET then 03:00-04:00 CEST: two real hours.
    assert [s.start.astimezone(PARIS).isoformat() for s in slots] == [
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]
    assert starts(slots) == [
        "2026-03-29 00:00",
        "2026-03-29 00:30",
        "2026-03-29 01:00",
        "2026-03-29 01:30",
    ]


def test_paris_fall_back_day_offers_the_repeated_hour_twice(in_october):
    expert = scheduling_expert("Europe/Paris")
    set_rules(expert, [(SUN, "01:00", "04:00")])
    slots = slots_on(expert, "2026-10-25")
    assert [s.start.astimezone(PARIS).isoformat() for s in slots] == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]
    # Four real hours, every slot a distinct UTC instant, half an hour apart.
    gaps = {b.start - a.start for a, b in pairwise(slots)}
    assert gaps == {timedelta(minutes=30)}


def test_a_rule_starting_inside_the_gap_starts_when_the_clock_jumps(in_march):
    expert = scheduling_expert("Europe/Paris", session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(SUN, "02:30", "05:00")])
    slots = slots_on(expert, "2026-03-29")
    assert [s.start.astimezone(PARIS).strftime("%H:%M%z") for s in slots] == [
        "03:00+0200",
        "04:00+0200",
    ]


def test_office_hours_keep_their_wall_clock_time_across_the_change(in_march):
    expert = scheduling_expert("Europe/Paris", session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(SAT, "09:00", "10:00"), (SUN, "09:00", "10:00")])
    slots = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 28), date_to=date(2026, 3, 29)
    )
    assert starts(slots) == ["2026-03-28 08:00", "2026-03-29 07:00"]


def test_new_york_spring_forward_seen_from_paris(in_march):
    # 2026-03-08: New York moves to EDT; Paris is still on CET, so the gap is 5 hours.
    expert = scheduling_expert("America/New_York", session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(SAT, "09:00", "10:00"), (SUN, "09:00", "10:00")])
    slots = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 7), date_to=date(2026, 3, 8), viewer_tz="Europe/Paris"
    )
    assert starts(slots) == ["2026-03-07 14:00", "2026-03-08 13:00"]
    assert [s.start.astimezone(PARIS).isoformat() for s in slots] == [
        "2026-03-07T15:00:00+01:00",
        "2026-03-08T14:00:00+01:00",
    ]


def test_new_york_fall_back_day_is_25_hours_long(in_october):
    expert = scheduling_expert("America/New_York")
    set_rules(expert, every_day("00:00", "24:00"))
    slots = slots_on(expert, "2026-11-01")
    assert len(slots) == 50
    assert slots[0].start.astimezone(NEW_YORK).isoformat() == "2026-11-01T00:00:00-04:00"
    assert slots[-1].start.astimezone(NEW_YORK).isoformat() == "2026-11-01T23:30:00-05:00"


# --------------------------------------------------------------------------- DST, viewer's zone


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2026-03-28", 48), ("2026-03-29", 46), ("2026-03-30", 48)],
)
def test_viewer_day_on_paris_spring_forward_has_23_hours(in_march, day, expected):
    expert = scheduling_expert("UTC")
    set_rules(expert, every_day("00:00", "24:00"))
    slots = slots_on(expert, day, tz="Europe/Paris")
    assert len(slots) == expected
    assert slots[0].start.astimezone(PARIS).strftime("%H:%M") == "00:00"
    assert slots[-1].start.astimezone(PARIS).strftime("%H:%M") == "23:30"


def test_viewer_day_on_paris_fall_back_has_25_hours(in_october):
    expert = scheduling_expert("UTC")
    set_rules(expert, every_day("00:00", "24:00"))
    slots = slots_on(expert, "2026-10-25", tz="Europe/Paris")
    assert len(slots) == 50
    assert slots[0].start == utc(2026, 10, 24, 22, 0)  # 00:00 CEST
    assert slots[-1].start == utc(2026, 10, 25, 22, 30)  # 23:30 CET


def test_viewer_and_expert_in_different_zones_that_change_on_different_days(in_march):
    # Expert in New York (changed on 03-08), viewer in Paris (changes on 03-29).
    expert = scheduling_expert("America/New_York", session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, every_day("18:00", "19:00"))
    slots = scheduling.get_available_slots(
        expert, date_from=date(2026, 3, 27), date_to=date(2026, 3, 30), viewer_tz="Europe/Paris"
    )
    # 18:00 EDT = 22:00 UTC = 23:00 CET before the 29th, 00:00 CEST (next day) after it.
    assert [s.start.astimezone(PARIS).strftime("%m-%d %H:%M") for s in slots] == [
        "03-27 23:00",
        "03-28 23:00",
        "03-30 00:00",
    ]


# --------------------------------------------------------------------------- conflicts


def test_check_conflict_uses_buffers_and_ignores_cancelled(in_march):
    expert = scheduling_expert(buffer_after_minutes=10)
    c = make_consultation(expert=expert, start_at=utc(2026, 3, 2, 10, 0), minutes=60)
    assert scheduling.check_conflict(expert, utc(2026, 3, 2, 10, 30), utc(2026, 3, 2, 11, 0))
    assert scheduling.check_conflict(expert, utc(2026, 3, 2, 11, 0), utc(2026, 3, 2, 11, 30))
    assert not scheduling.check_conflict(expert, utc(2026, 3, 2, 11, 20), utc(2026, 3, 2, 12, 0))
    assert not scheduling.check_conflict(
        expert, utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 11, 0), exclude_pk=c.pk
    )
    c.status = Consultation.Status.CANCELLED
    c.save()
    assert not scheduling.check_conflict(expert, utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 11, 0))


def test_suggest_alternative_times_returns_the_nearest_free_slots(in_march):
    expert = scheduling_expert(session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(MON, "09:00", "17:00")])
    taken = utc(2026, 3, 2, 12, 0)
    make_consultation(expert=expert, start_at=taken, minutes=60)
    alternatives = scheduling.suggest_alternative_times(expert, taken, 60, count=4)
    assert starts(alternatives) == [
        "2026-03-02 10:00",
        "2026-03-02 11:00",
        "2026-03-02 13:00",
        "2026-03-02 14:00",
    ]


def test_suggest_alternative_times_looks_further_when_the_week_is_full(in_march):
    expert = scheduling_expert(session_lengths=[60], slot_interval_minutes=60)
    set_rules(expert, [(MON, "09:00", "10:00")])
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 9, 0), minutes=60)
    alternatives = scheduling.suggest_alternative_times(expert, utc(2026, 3, 2, 9, 0), 60, count=2)
    assert starts(alternatives) == ["2026-03-09 09:00", "2026-03-16 09:00"]


# --------------------------------------------------------------------------- ensure_bookable


@pytest.mark.parametrize(
    ("start", "minutes", "field", "code"),
    [
        (utc(2026, 3, 2, 9, 0), 45, "duration_minutes", "length_not_offered"),
        (utc(2026, 2, 28, 9, 0), 30, "start_at", "in_the_past"),
        (utc(2026, 3, 1, 12, 30), 30, "start_at", "too_short_notice"),
        (utc(2026, 6, 1, 9, 0), 30, "start_at", "beyond_horizon"),
        (utc(2026, 3, 2, 8, 0), 30, "start_at", "outside_availability"),
        (utc(2026, 3, 2, 10, 30), 60, "start_at", "outside_availability"),
        (utc(2026, 3, 2, 9, 10), 30, "start_at", "off_grid"),
    ],
)
def test_ensure_bookable_names_the_reason(in_march, start, minutes, field, code):
    expert = scheduling_expert(min_notice_minutes=60)
    set_rules(expert, [(MON, "09:00", "11:00")])
    with pytest.raises(ServiceError) as exc:
        scheduling.ensure_bookable(expert, start, minutes)
    assert (exc.value.field, exc.value.code, exc.value.status_code) == (field, code, 400)


def test_ensure_bookable_conflicts_are_409_with_alternatives(in_march):
    expert = scheduling_expert(max_bookings_per_day=2)
    set_rules(expert, [(MON, "09:00", "12:00")])
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 9, 0), minutes=60)
    with pytest.raises(Conflict) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 2, 9, 30), 30)
    assert exc.value.code == "slot_taken"
    assert exc.value.extra["alternatives"][0]["start"] == "2026-03-02T10:00:00Z"
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 10, 0), minutes=30)
    with pytest.raises(Conflict) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 2, 11, 0), 30)
    assert exc.value.code == "day_full"


def test_ensure_bookable_refuses_unavailability(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "12:00")])
    ExpertUnavailability.objects.create(
        expert=expert, start_at=utc(2026, 3, 2, 0, 0), end_at=utc(2026, 3, 3, 0, 0)
    )
    with pytest.raises(ServiceError) as exc:
        scheduling.ensure_bookable(expert, utc(2026, 3, 2, 9, 0), 30)
    assert exc.value.code == "expert_unavailable"


def test_every_listed_slot_is_bookable_on_dst_days(in_march):
    expert = scheduling_expert("Europe/Paris")
    set_rules(expert, [(SUN, "00:00", "24:00")])
    for slot in slots_on(expert, "2026-03-29"):
        for minutes in slot.durations:
            scheduling.ensure_bookable(expert, slot.start, minutes)


# --------------------------------------------------------------------------- next_available_at


def test_refresh_next_available_at(in_march):
    expert = scheduling_expert(min_notice_minutes=0)
    assert scheduling.refresh_next_available_at(expert) is None
    set_rules(expert, [(MON, "09:00", "10:00")])
    assert scheduling.refresh_next_available_at(expert) == utc(2026, 3, 2, 9, 0)
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 2, 9, 0)
    make_consultation(expert=expert, start_at=utc(2026, 3, 2, 9, 0), minutes=60)
    assert scheduling.refresh_next_available_at(expert) == utc(2026, 3, 9, 9, 0)


def test_refresh_next_available_at_is_none_for_unapproved_experts(in_march):
    expert = scheduling_expert(verification_status=Expert.VerificationStatus.SUSPENDED)
    set_rules(expert, [(MON, "09:00", "10:00")])
    assert scheduling.refresh_next_available_at(expert) is None


def test_refresh_next_available_at_finds_a_slot_weeks_ahead(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "10:00")])
    ExpertUnavailability.objects.create(
        expert=expert, start_at=utc(2026, 3, 1, 0, 0), end_at=utc(2026, 4, 10, 0, 0)
    )
    assert scheduling.refresh_next_available_at(expert) == utc(2026, 4, 13, 9, 0)


def test_refresh_stale_next_available(in_march):
    expert = scheduling_expert()
    set_rules(expert, [(MON, "09:00", "10:00")])
    Expert.objects.filter(pk=expert.pk).update(next_available_at=datetime(2020, 1, 1, tzinfo=PARIS))
    assert scheduling.refresh_stale_next_available() >= 1
    expert.refresh_from_db()
    assert expert.next_available_at == utc(2026, 3, 2, 9, 0)


# --------------------------------------------------------------------------- time-slots API


def test_time_slots_endpoint_returns_utc_and_viewer_local_times(in_march, api_client):
    expert = scheduling_expert("America/New_York", session_lengths=[30, 60])
    set_rules(expert, [(SUN, "09:00", "10:00")])
    r = api_client.get(
        f"/api/v1/consultations/experts/{expert.pk}/time-slots/",
        {"date": "2026-03-08", "tz": "Europe/Paris"},
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["timezone"] == "Europe/Paris" and body["expert_timezone"] == "America/New_York"
    assert body["duration_minutes"] == 30
    assert [
        (s["start"], s["start_local"], s["expert_start_local"], s["available_durations"])
        for s in body["slots"]
    ] == [
        (
            "2026-03-08T13:00:00Z",
            "2026-03-08T14:00:00+01:00",
            "2026-03-08T09:00:00-04:00",
            [30, 60],
        ),
        ("2026-03-08T13:30:00Z", "2026-03-08T14:30:00+01:00", "2026-03-08T09:30:00-04:00", [30]),
    ]


def test_time_slots_range_form_and_duration(in_march, api_client):
    expert = scheduling_expert()
    set_rules(expert, every_day("09:00", "10:00"))
    r = api_client.get(
        f"/api/v1/consultations/experts/{expert.pk}/time-slots/",
        {"from": "2026-03-02", "to": "2026-03-04", "duration": 60},
    )
    assert r.status_code == 200, r.json()
    assert [s["start"] for s in r.json()["slots"]] == [
        "2026-03-02T09:00:00Z",
        "2026-03-03T09:00:00Z",
        "2026-03-04T09:00:00Z",
    ]
    assert r.json()["slots"][0]["end"] == "2026-03-02T10:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-03-02", "tz": "Europe/Atlantis"}, "tz"),
        ({"date": "02/03/2026"}, "date"),
        ({}, "date"),
        ({"from": "2026-03-05", "to": "2026-03-02"}, "to"),
        ({"from": "2026-03-01", "to": "2027-06-01"}, "to"),
        ({"date": "2026-03-02", "duration": 45}, "duration"),
    ],
)
def test_time_slots_bad_input_is_a_400_naming_the_field(in_march, api_client, params, field):
    expert = scheduling_expert()
    r = api_client.get(f"/api/v1/consultations/experts/{expert.pk}/time-slots/", params)
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]


def test_time_slots_of_unknown_or_unapproved_expert_is_404(in_march, api_client):
    expert = scheduling_expert(verification_status=Expert.VerificationStatus.REJECTED)
    url = "/api/v1/consultations/experts/{}/time-slots/"
    assert api_client.get(url.format(expert.pk), {"date": "2026-03-02"}).status_code == 404
    assert api_client.get(url.format(999999), {"date": "2026-03-02"}).status_code == 404


def test_refresh_after_a_booking_that_leaves_the_soonest_slot_free_keeps_it(in_march):
    expert = scheduling_expert(max_bookings_per_day=1)
    set_rules(expert, every_day("09:00", "10:00"))
    assert scheduling.refresh_next_available_at(expert) == utc(2026, 3, 2, 9, 0)
    later = make_consultation(expert=expert, start_at=utc(2026, 3, 5, 9, 0), minutes=30)
    with mock.patch.object(scheduling, "find_next_available") as search:
        kept = scheduling.refresh_next_available_at(
            expert, added=(later.start_at, later.blocked_start)
        )
    assert kept == utc(2026, 3, 2, 9, 0) and not search.called


def test_refresh_after_a_booking_that_fills_the_soonest_day_recomputes(in_march):
    # One booking a day: a booking later on the soonest day still takes that day away.
    expert = scheduling_expert(max_bookings_per_day=1)
    set_rules(expert, every_day("09:00", "18:00"))
    assert scheduling.refresh_next_available_at(expert) == utc(2026, 3, 1, 12, 0)
    same_day = make_consultation(expert=expert, start_at=utc(2026, 3, 1, 14, 0), minutes=30)
    moved = scheduling.refresh_next_available_at(
        expert, added=(same_day.start_at, same_day.blocked_start)
    )
    assert moved == utc(2026, 3, 2, 9, 0)


# --------------------------------------------------------------------------- one read


def test_the_one_statement_calendar_read_matches_the_orm_read(in_march):
    """PostgreSQL reads an expert's calendar in one UNION ALL (outside calendars included);
    other databases use ORM queries and the busy sources. Both must return the same rules,
    blocks, bookings and overrides."""
    from consultations.models import ExpertDateOverride

    expert = scheduling_expert("Europe/Paris")
    other = scheduling_expert()
    set_rules(expert, [(SUN, "14:00", "18:00"), (MON, "09:00", "12:00"), (MON, "08:00", "08:30")])
    set_rules(other, every_day("00:00", "24:00"))
    lo, hi = utc(2026, 3, 2, 0, 0), utc(2026, 3, 4, 0, 0)
    ExpertUnavailability.objects.create(
        expert=expert, start_at=utc(2026, 3, 2, 10, 0), end_at=utc(2026, 3, 2, 11, 0)
    )
    ExpertUnavailability.objects.create(  # outside the window
        expert=expert, start_at=utc(2026, 3, 9, 10, 0), end_at=utc(2026, 3, 9, 11, 0)
    )
    for start, status in [
        (utc(2026, 3, 2, 9, 0), "confirmed"),
        (utc(2026, 3, 2, 13, 0), "pending"),
        (utc(2026, 3, 3, 9, 0), "completed"),
        (utc(2026, 3, 3, 11, 0), "cancelled"),
        (utc(2026, 3, 10, 9, 0), "confirmed"),  # outside the window
    ]:
        make_consultation(expert=expert, start_at=start, status=status)
    make_consultation(expert=other, start_at=utc(2026, 3, 2, 9, 0))
    ExpertDateOverride.objects.create(expert=expert, date=date(2026, 3, 2), windows=[])
    ExpertDateOverride.objects.create(
        expert=expert,
        date=date(2026, 3, 3),
        windows=[{"start_time": "10:00", "end_time": "24:00"}],
    )
    # Outside calendars (the integrations app's busy source): enabled feeds only.
    from integrations.models import ExternalBusyInterval, ExternalCalendarFeed

    for enabled, hour in ((True, 15), (False, 16)):
        feed = ExternalCalendarFeed.objects.create(expert=expert, url="https://x", enabled=enabled)
        ExternalBusyInterval.objects.create(
            feed=feed,
            expert=expert,
            start_at=utc(2026, 3, 2, hour, 0),
            end_at=utc(2026, 3, 2, hour, 30),
        )
    first, last = date(2026, 3, 1), date(2026, 3, 4)

    for with_rules in (True, False):
        one = scheduling._read_calendar_one_statement(expert, lo, hi, first, last, with_rules)
        orm = scheduling._read_calendar_orm(expert, lo, hi, first, last, with_rules)
        rule = lambda r: (r.expert_id, r.weekday, r.start_time, r.end_time)  # noqa: E731
        assert [rule(r) for r in one.rules] == [rule(r) for r in orm.rules]
        assert len(one.rules) == (3 if with_rules else 0)
        assert sorted(one.blocks) == sorted(orm.blocks)
        assert sorted(one.blocks) == [
            (utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 11, 0)),
            (utc(2026, 3, 2, 15, 0), utc(2026, 3, 2, 15, 30)),
        ]
        assert sorted(one.taken) == sorted(orm.taken) and len(one.taken) == 3
        assert one.overrides == orm.overrides and one.overrides[date(2026, 3, 2)] == []
