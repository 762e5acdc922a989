"""Domain signals whose listeners run in a Celery worker instead of the request.

A new booking's follow-ups (the expert's in-app notification with its unread count and
live push, both emails, the webhooks) cost more CPU than the booking itself (issue 12,
bench/README.md). The request keeps what must be immediate: the live `booking.created`
event, published on commit by the service. Everything else is one Celery task per
booking, which sends the same `consultation_created` signal in the worker, so every
listener (notifications, integrations) runs unchanged and exactly as often as before.

The task carries a snapshot of the row as committed (Django's JSON serialisation), not
just its id: listeners describe the booking as it was booked even if the expert confirms
it before the worker gets to it, as they did when they ran in the request.

If the broker refuses the task, the signal is sent in the request as before: a booking
never loses its notification or emails to a broker outage.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from kombu.exceptions import OperationalError

from consultations import signals
from consultations.models import Consultation
from project.compiled import ID_PLACEHOLDER, CompiledRead

logger = logging.getLogger(__name__)


def snapshot(consultation: Consultation) -> str:
    """What `serializers.serialize("json", [consultation])` writes, encoded in one call:
    Django's JSON serializer streams through json.dump, which always takes the pure-Python
    encoder, the C one only serves json.dumps (about a tenth of the request's after-commit
    CPU, issue 12). Same encoder class and options, so the same text."""
    [row] = serializers.serialize("python", [consultation])
    return "[" + json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "]"


# Everyone the listeners and emails describe, with the profiles that name them and set
# their zone and email preferences, and the client's own expert row (a client with no zone
# who is also an expert reads in their working zone): one statement instead of one per
# person, profile and email (accounts.selectors reads what is loaded here).
PEOPLE = (
    "user__profile",
    "user__expert_profile",
    "expert__user__profile",
)

# Compiled once per process (project/compiled.py): compiling this five-join read cost the
# worker more CPU than running it. No ORDER BY: one row by pk.
_CURRENT: CompiledRead[Consultation] = CompiledRead(
    lambda pk: Consultation.objects.select_related(*PEOPLE).filter(pk=pk).order_by(),
    ID_PLACEHOLDER,
)


def load(data: str) -> tuple[Consultation, Consultation | None]:
    """The consultation as snapshotted (what the listeners describe) and the row as it is
    now (what the emails check and describe), both with their people loaded, in one query."""
    obj = next(iter(serializers.deserialize("json", data))).object
    assert isinstance(obj, Consultation)
    current = _CURRENT.first(obj.pk)
    if current is not None:
        obj.user = current.user
        obj.expert = current.expert
    return obj, current


def send_created(consultation: Consultation) -> None:
    """Send `consultation_created` for `consultation` (in this process)."""
    signals.consultation_created.send(sender=Consultation, consultation=consultation)


def _pushes_stay_in_process() -> bool:
    """The embedded default's in-memory channel layer cannot carry a worker's push to a
    browser's socket (README, "Two commands")."""
    backend = str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", ""))
    return backend.endswith("InMemoryChannelLayer")


def created_on_commit(consultation: Consultation) -> None:
    """After commit, hand `consultation_created` to a worker (see the module docstring).

    With the in-memory channel layer (one process, a laptop) the follow-ups run in the
    request instead, so the expert's notification still arrives live; that mode is not
    built for peak load anyway.
    """
    from consultations.tasks import announce_consultation_created

    if _pushes_stay_in_process():

        def announce_here() -> None:
            send_created(consultation)

        transaction.on_commit(announce_here, robust=True)
        return

    data = snapshot(consultation)

    def announce_created() -> None:
        try:
            announce_consultation_created.delay(data)
        except (OperationalError, OSError):
            logger.exception("broker refused booking %s's follow-ups: sent here", consultation.pk)
            send_created(consultation)

    # A named function (Django's robust path logs its __qualname__): whatever else goes
    # wrong is logged, never raised into the committed request.
    transaction.on_commit(announce_created, robust=True)
