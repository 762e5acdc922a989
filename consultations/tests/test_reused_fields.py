"""ConsultationSerializer builds its fields once per thread (project/reused_fields.py); every
instance still answers from its own context and object."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from consultations.serializers.bookings import ConsultationSerializer
from consultations.tests.factories import make_consultation, make_expert, make_user

pytestmark = pytest.mark.django_db


def _as(user, consultation) -> dict:
    request = SimpleNamespace(user=user, query_params={}, headers={})
    return ConsultationSerializer(consultation, context={"request": request}).data


def test_each_instance_reads_its_own_context_with_fields_built_once():
    expert = make_expert()
    client = make_user()
    booking = make_consultation(user=client, expert=expert)
    first = ConsultationSerializer(booking)
    second = ConsultationSerializer(booking)
    assert first.fields is second.fields  # built once
    assert _as(client, booking)["my_role"] == "user"
    assert _as(expert.user, booking)["my_role"] == "expert"
    # An instance made earlier and read later re-binds the fields to itself.
    early = ConsultationSerializer(booking, context={"request": SimpleNamespace(user=client)})
    late = ConsultationSerializer(booking, context={"request": SimpleNamespace(user=expert.user)})
    assert late.data["my_role"] == "expert"
    assert early.data["my_role"] == "user"


def test_threads_build_their_own_fields():
    expert = make_expert()
    booking = make_consultation(user=make_user(), expert=expert)
    here = ConsultationSerializer(booking).fields
    there: list = []
    worker = threading.Thread(target=lambda: there.append(ConsultationSerializer(booking).fields))
    worker.start()
    worker.join()
    assert there[0] is not here


def test_ledger_rows_share_fields_and_keep_their_own_values():
    from django.utils import timezone

    from consultations.models import LedgerEntry
    from consultations.serializers.policies import LedgerEntrySerializer

    booking = make_consultation(user=make_user(), expert=make_expert())
    for amount in ("10.00", "-4.00"):
        LedgerEntry.objects.create(
            consultation=booking,
            expert=booking.expert,
            kind="due",
            amount=amount,
            currency="USD",
            reason=f"r{amount}",
            created_at=timezone.now(),
        )
    rows = LedgerEntry.objects.filter(consultation=booking).order_by("id")
    assert LedgerEntrySerializer(rows[0]).fields is LedgerEntrySerializer(rows[1]).fields
    data = LedgerEntrySerializer(rows, many=True).data
    assert [(r["amount"], r["reason"]) for r in data] == [("10.00", "r10.00"), ("-4.00", "r-4.00")]
