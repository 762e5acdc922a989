"""Who reads a message, and how they read times and names (accounts' profile, the booking)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import User

from accounts.selectors import display_prefs, profile_of, public_name
from project.timefmt import DisplayPrefs

if TYPE_CHECKING:
    from consultations.models import Consultation

EMAIL_PREF_FIELDS = {"booking": "email_booking", "reminder": "email_reminder", "chat": "email_chat"}


def display_prefs_for(consultation: Consultation, person: User) -> DisplayPrefs:
    """The person's zone and clock; a client with no zone chosen reads in the zone they
    booked from (recorded on the consultation)."""
    fallback = consultation.client_timezone if person.pk == consultation.user_id else ""
    return display_prefs(person, fallback_zone=fallback)


def name_of(person: User, consultation: Consultation | None = None) -> str:
    """An expert is called by their public expert name in everything about a consultation."""
    if consultation is not None and person.pk == consultation.expert.user_id:
        return consultation.expert.name
    return public_name(person)


def wants_email(person: User, kind: str) -> bool:
    """kind: "booking", "reminder" or "chat" (the account settings' email preferences)."""
    return bool(getattr(profile_of(person), EMAIL_PREF_FIELDS[kind]))
