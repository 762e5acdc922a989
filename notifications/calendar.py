"""iCalendar (.ics) invites for consultations (RFC 5545 / iTIP RFC 5546).

One UID per consultation, stable across every email about it, so a calendar updates
or removes the same event: METHOD:REQUEST adds or updates it, METHOD:CANCEL (same UID,
higher SEQUENCE) removes it. A rescheduled consultation is a new Consultation row and so
a new event; the old row's event is cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.mime.text import MIMEText
from email.utils import parseaddr
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

if TYPE_CHECKING:
    from consultations.models import Consultation

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Consult//Consultations//EN"
# A cancellation must outrank the invite it cancels (RFC 5546 §2.1.4).
SEQUENCE = {"REQUEST": 0, "CANCEL": 1}


def meeting_url_for(consultation: Consultation) -> str | None:
    if not consultation.meeting_room_id:
        return None
    from consultations.services.jitsi import JitsiService

    return JitsiService.get_meeting_url(consultation)


def consultation_page_url(consultation: Consultation) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/consultations/{consultation.pk}"


def invite_uid(consultation: Consultation) -> str:
    domain = settings.CALENDAR_UID_DOMAIN or (
        urlparse(settings.SITE_URL).hostname or "consult.local"
    )
    return f"consultation-{consultation.pk}@{domain}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def new_calendar(method: Method | None = None) -> Calendar:
    """An empty VCALENDAR with Consult's PRODID (a METHOD only for iTIP email invites)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def build_event(
    consultation: Consultation,
    *,
    sequence: int,
    cancelled: bool = False,
    now: datetime | None = None,
    meeting_link: bool = True,
) -> Event:
    """The VEVENT of `consultation` (used by email invites and the calendar feed).

    Times are written in UTC (the "Z" form). `meeting_link=False` leaves the video link out
    (the feed shows it only once the booking is confirmed).
    """
    from consultations.models import Consultation

    now = now or timezone.now()
    expert = consultation.expert
    client = consultation.user
    meeting_url = meeting_url_for(consultation) if meeting_link else None
    page_url = consultation_page_url(consultation)

    event = Event()
    event.add("uid", invite_uid(consultation))
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", consultation.start_at.astimezone(UTC))
    event.add("dtend", consultation.end_at.astimezone(UTC))
    event.add("summary", f"Consultation with {expert.name}: {consultation.topic}")
    description = [f"Topic: {consultation.topic}"]
    if meeting_url:
        description.append(f"Join the video call: {meeting_url}")
    description.append(f"Details: {page_url}")
    event.add("description", "\n".join(description))
    if meeting_url:
        event.add("location", meeting_url)
        event.add("url", meeting_url)
    else:
        event.add("url", page_url)

    if cancelled or consultation.status == Consultation.Status.CANCELLED:
        status = "CANCELLED"
    elif consultation.status in (Consultation.Status.CONFIRMED, Consultation.Status.COMPLETED):
        status = "CONFIRMED"
    else:
        status = "TENTATIVE"
    event.add("status", status)

    from_name, from_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    event.add("organizer", _address(from_email or "no-reply@consult.local", from_name or "Consult"))
    for person_email, person_name in (
        (client.email, client.get_full_name() or client.email),
        (expert.user.email, expert.name),
    ):
        if person_email:
            event.add(
                "attendee",
                _address(person_email, person_name, role="REQ-PARTICIPANT", partstat="ACCEPTED"),
                encode=0,
            )
    return event


def build_invite(
    consultation: Consultation, *, method: Method = "REQUEST", now: datetime | None = None
) -> bytes:
    """The .ics body of an email invite (METHOD:REQUEST) or cancellation (METHOD:CANCEL)."""
    calendar = new_calendar(method)
    calendar.add_component(
        build_event(consultation, sequence=SEQUENCE[method], cancelled=method == "CANCEL", now=now)
    )
    return calendar.to_ical()


def invite_attachment(consultation: Consultation, *, method: Method = "REQUEST") -> MIMEText:
    """A text/calendar MIME part with the iTIP method in its Content-Type, as mailers expect."""
    part = MIMEText(build_invite(consultation, method=method).decode(), "calendar", "utf-8")
    part.set_param("method", method)
    filename = "cancel.ics" if method == "CANCEL" else "invite.ics"
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
