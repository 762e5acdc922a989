"""Every server → client event: its type, who receives it and the shape of its `data`.

Publishing goes through `realtime.events`, which refuses a type that is not declared here
and checks the payload against its model (pydantic). The same models are exported as JSON
Schema (`manage.py events_catalogue`), from which the frontend's TypeScript types and the
README's event table are generated, so the three cannot drift apart.

To add an event: declare a payload model (or reuse one), add an `EventSpec` to `CATALOGUE`,
then run `manage.py events_catalogue --write` and `cd frontend && npm run gen:events`.

- `durable` events enter the recipient's per-user stream (`realtime.stream`): they get an
  offset, and a tab that was offline gets them replayed on reconnect. Ephemeral ones
  (typing) and socket replies do not.
- `ack_fallback` events (booking changes) are watched: when no tab of the recipient
  acknowledges them in time, the recipient is told by email instead (`realtime.delivery`).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "CATALOGUE",
    "EventSpec",
    "InvalidPayload",
    "UndeclaredEvent",
    "spec_for",
    "validate_payload",
]

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Payload(BaseModel):
    # Extra keys are refused: a field added by a publisher must be declared (and typed) here.
    model_config = ConfigDict(extra="forbid", strict=True)


# --------------------------------------------------------------------------- bookings


class BookingPayload(_Payload):
    """A consultation as booking events carry it (consultations.services.booking)."""

    id: int
    status: str
    start_at: DateTime
    end_at: DateTime
    duration_minutes: int
    topic: str
    user_id: int
    user_name: str
    expert_id: int
    expert_name: str
    expert_user_id: int
    payment_status: str
    rescheduled_from_id: int | None
    cancelled_by_id: int | None
    cancellation_reason: str
    cancellation_cause: str = Field(
        default="",
        description="consultations.policies.Cause: client, expert, expired, expert_no_show, "
        "client_no_show, rescheduled ('' while the booking holds time).",
    )
    no_show_party: Literal["", "client", "expert"] = ""
    policy_waived: bool = False


class BookingCancelledPayload(BookingPayload):
    full_refund: bool
    refund_amount: str = Field(description="Decimal as a string, in the booking's currency.")
    refund_percent: int = Field(default=100, description="Of the price, by the booking's policy.")
    refund_reason: str = ""
    waived_amount: str = Field(default="0.00", description="Fee the expert waived (Decimal).")


class BookingRescheduledPayload(BookingPayload):
    previous: BookingPayload = Field(description="The cancelled booking this one replaces.")


# --------------------------------------------------------------------------- meetings


class MeetingPayload(_Payload):
    consultation_id: int
    status: str
    room: str
    meeting_started_at: DateTime | None
    meeting_ended_at: DateTime | None


class MeetingStartedPayload(MeetingPayload):
    started_by: int


class MeetingEndedPayload(MeetingPayload):
    ended_by: int | None = Field(description="null when the cleanup task closed it.")
    reason: Literal["ended", "timed_out"]


class MeetingPresencePayload(_Payload):
    """Someone joined or left the call (reported by the call page; server clock)."""

    consultation_id: int
    user_id: int
    role: Literal["client", "expert"]
    state: Literal["joined", "left"]
    client_minutes: int
    expert_minutes: int
    both_minutes: int = Field(description="Minutes both were in the call (interval overlap).")
    client_joined: bool
    expert_joined: bool
    client_present: bool
    expert_present: bool


# --------------------------------------------------------------------------- reviews


class ReviewPayload(_Payload):
    """A review as review events carry it (consultations.services.reviews)."""

    id: int
    consultation_id: int
    expert_id: int
    author_name: str = Field(description='First name and last initial, e.g. "Cleo C.".')
    rating: int = Field(ge=1, le=5)
    text: str
    created_at: DateTime
    reply: str = Field(description="The expert's public reply ('' until there is one).")
    replied_at: DateTime | None
    reply_edited_at: DateTime | None
    hidden: bool
    hidden_reason: str
    average_rating: str = Field(description="The expert's new average (Decimal as a string).")
    review_count: int = Field(description="Visible reviews the average is over.")


# --------------------------------------------------------------------------- chat


class ChatAttachment(_Payload):
    url: str
    name: str
    size: int
    content_type: str


class ChatMessagePayload(_Payload):
    conversation_id: int
    id: int
    seq: int
    rev: int
    client_id: str
    sender_id: int
    kind: Literal["text", "image", "file"]
    text: str
    reply_to: int | None
    attachment: ChatAttachment | None
    created_at: DateTime
    edited_at: DateTime | None
    deleted: bool
    deleted_at: DateTime | None
    read_at: DateTime | None


class ChatReadPayload(_Payload):
    conversation_id: int
    reader_id: int
    up_to_seq: int
    read_at: DateTime


class ChatUnreadPayload(_Payload):
    total: int
    conversations: dict[str, int] = Field(description="Unread count per conversation id (> 0).")
    conversation_id: int
    unread: int
    version: int = Field(
        description="Grows with every count taken for this user, in commit order. Counts can "
        "arrive out of that order; keep the one with the highest version."
    )


class ChatConversationPayload(_Payload):
    conversation_id: int
    status: str
    blocked_by: int | None
    last_seq: int
    last_rev: int
    last_message_at: DateTime | None


class ChatTypingPayload(_Payload):
    conversation_id: int
    user_id: int
    is_typing: bool


# --------------------------------------------------------------------------- others


class VerificationPayload(_Payload):
    application_id: int | None
    application_status: str | None
    expert_id: int | None
    expert_status: str | None
    is_verified: bool
    from_status: str
    to_status: str
    notes: str


class PolicyUpdatedPayload(_Payload):
    """The expert chose another cancellation policy (applies to bookings made from now on)."""

    expert_id: int
    cancellation_policy: Literal["flexible", "moderate", "strict"]
    reschedule_cutoff_hours: int
    max_reschedules: int
    summary: list[str] = Field(description="The new policy in plain sentences.")


class AvailabilityUpdatedPayload(_Payload):
    expert_id: int
    change: Literal["override_created", "override_changed", "override_removed"]
    date: str = Field(description="The overridden date (YYYY-MM-DD, expert's zone).")


class CalendarSourceSyncedPayload(_Payload):
    feed_id: int
    status: Literal["ok", "error"]


class WebhookDeliveryPayload(_Payload):
    endpoint_id: int
    delivery_id: str
    event_type: str
    status: Literal["pending", "retrying", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None


class NotificationPayload(_Payload):
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    url: str
    is_read: bool
    read_at: DateTime | None
    created_at: DateTime
    unread_count: int


class NotificationReadPayload(_Payload):
    ids: list[int]
    unread_count: int


class StreamPosition(_Payload):
    epoch: str = Field(description="Changes whenever the stream's history was lost.")
    offset: int = Field(description="Offset of the newest event of the stream (0: none yet).")


class SessionReadyPayload(_Payload):
    user_id: int
    stream: StreamPosition | None = Field(
        description="Where this socket starts in the user's stream (null: stream unavailable)."
    )
    replayed: int = Field(description="How many missed events were replayed just before this.")
    resync: bool = Field(
        description="True when the tab must refetch its state: a new tab, or a gap the "
        "stream's history could not cover."
    )


class StreamResetPayload(_Payload):
    stream: StreamPosition


class PongPayload(_Payload):
    request_id: Any


class ErrorPayload(BaseModel):
    # Handler errors may add context keys (e.g. alternatives) next to the fixed ones.
    model_config = ConfigDict(extra="allow")

    request_id: Any
    code: str
    message: str
    field: str | None


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class EventSpec:
    type: str
    # `builtins.type`: the field `type` above shadows the builtin inside this class body.
    payload: builtins.type[BaseModel]
    to: str
    when: str
    durable: bool = True
    ack_fallback: bool = False
    socket_only: bool = False


# Types also importable as constants, so publishers don't spell strings.
BOOKING_CREATED = "booking.created"
BOOKING_CONFIRMED = "booking.confirmed"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_RESCHEDULED = "booking.rescheduled"
BOOKING_NO_SHOW = "booking.no_show"
BOOKING_POLICY_WAIVED = "booking.policy_waived"
REVIEW_POSTED = "review.posted"
REVIEW_REPLIED = "review.replied"
REVIEW_HIDDEN = "review.hidden"
REVIEW_RESTORED = "review.restored"
MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
MEETING_PRESENCE = "meeting.presence"
CHAT_MESSAGE = "chat.message"
CHAT_MESSAGE_EDITED = "chat.message_edited"
CHAT_MESSAGE_DELETED = "chat.message_deleted"
CHAT_READ = "chat.read"
CHAT_UNREAD = "chat.unread"
CHAT_CONVERSATION = "chat.conversation"
CHAT_TYPING = "chat.typing"
VERIFICATION_UPDATED = "verification.updated"
AVAILABILITY_UPDATED = "availability.updated"
POLICY_UPDATED = "policy.updated"
CALENDAR_SOURCE_SYNCED = "calendar_source.synced"
WEBHOOK_DELIVERY = "webhook.delivery"
NOTIFICATION_CREATED = "notification.created"
NOTIFICATION_READ = "notification.read"
SESSION_READY = "session.ready"
STREAM_RESET = "stream.reset"
PONG = "pong"
ERROR = "error"

_SPECS = [
    EventSpec(
        SESSION_READY,
        SessionReadyPayload,
        "the socket",
        "connected, after replaying the events the tab missed",
        durable=False,
        socket_only=True,
    ),
    EventSpec(
        STREAM_RESET,
        StreamResetPayload,
        "the socket",
        "the stream's history was lost while connected: refetch",
        durable=False,
        socket_only=True,
    ),
    EventSpec(PONG, PongPayload, "the socket", "reply to `ping`", durable=False, socket_only=True),
    EventSpec(
        ERROR, ErrorPayload, "the socket", "a request was refused", durable=False, socket_only=True
    ),
    EventSpec(
        BOOKING_CREATED,
        BookingPayload,
        "expert",
        "a consultation is booked",
        ack_fallback=True,
    ),
    EventSpec(
        BOOKING_CONFIRMED,
        BookingPayload,
        "client and expert",
        "the expert confirms",
        ack_fallback=True,
    ),
    EventSpec(
        BOOKING_CANCELLED,
        BookingCancelledPayload,
        "client and expert",
        "cancelled by either side, or expired unconfirmed",
        ack_fallback=True,
    ),
    EventSpec(
        BOOKING_RESCHEDULED,
        BookingRescheduledPayload,
        "client and expert",
        "moved to a new time (the old booking is in `previous`)",
        ack_fallback=True,
    ),
    EventSpec(
        BOOKING_NO_SHOW,
        BookingCancelledPayload,
        "client and expert",
        "after the session: the expert never joined (cancelled, full refund) or the client "
        "did not (`no_show`, the booking's policy applies); `no_show_party` says which",
        ack_fallback=True,
    ),
    EventSpec(
        BOOKING_POLICY_WAIVED,
        BookingPayload,
        "client and expert",
        "the expert waives the cancellation policy for one booking",
        ack_fallback=True,
    ),
    EventSpec(
        REVIEW_POSTED,
        ReviewPayload,
        "client and expert",
        "the client reviews a completed consultation (the expert's new average included)",
    ),
    EventSpec(
        REVIEW_REPLIED,
        ReviewPayload,
        "client and expert",
        "the expert replies to a review, or edits the reply",
    ),
    EventSpec(
        REVIEW_HIDDEN,
        ReviewPayload,
        "client and expert",
        "staff hide a review (it leaves the profile and the average; `hidden_reason` says why)",
    ),
    EventSpec(
        REVIEW_RESTORED,
        ReviewPayload,
        "client and expert",
        "staff show a hidden review again",
    ),
    EventSpec(
        MEETING_STARTED, MeetingStartedPayload, "client and expert", "a participant starts the call"
    ),
    EventSpec(
        MEETING_ENDED,
        MeetingEndedPayload,
        "client and expert",
        "a participant ends the call, or the cleanup task closes it",
    ),
    EventSpec(
        MEETING_PRESENCE,
        MeetingPresencePayload,
        "client and expert",
        "a participant joins or leaves the call (or their socket closes)",
        durable=False,
    ),
    EventSpec(CHAT_MESSAGE, ChatMessagePayload, "both participants", "a message is sent"),
    EventSpec(CHAT_MESSAGE_EDITED, ChatMessagePayload, "both participants", "a message is edited"),
    EventSpec(
        CHAT_MESSAGE_DELETED, ChatMessagePayload, "both participants", "a message is deleted"
    ),
    EventSpec(CHAT_READ, ChatReadPayload, "both participants", "a reader's cursor moves"),
    EventSpec(CHAT_UNREAD, ChatUnreadPayload, "the reader", "an unread counter changes"),
    EventSpec(
        CHAT_CONVERSATION,
        ChatConversationPayload,
        "both participants",
        "a conversation's status changes (archived, blocked, reopened)",
    ),
    EventSpec(
        CHAT_TYPING,
        ChatTypingPayload,
        "the other participant",
        "typing starts or stops (never stored)",
        durable=False,
    ),
    EventSpec(
        VERIFICATION_UPDATED,
        VerificationPayload,
        "applicant",
        "an application or expert status changes",
    ),
    EventSpec(
        AVAILABILITY_UPDATED,
        AvailabilityUpdatedPayload,
        "expert",
        "a date override is set or removed (other tabs refetch the calendar)",
    ),
    EventSpec(
        POLICY_UPDATED,
        PolicyUpdatedPayload,
        "expert",
        "the expert changes their cancellation policy (other tabs refresh the settings form)",
    ),
    EventSpec(
        CALENDAR_SOURCE_SYNCED,
        CalendarSourceSyncedPayload,
        "expert",
        "one of the expert's external calendars was fetched (its status may have changed)",
        durable=False,
    ),
    EventSpec(
        WEBHOOK_DELIVERY,
        WebhookDeliveryPayload,
        "the endpoint's owner",
        "a webhook delivery was attempted (its status and log changed)",
        durable=False,
    ),
    EventSpec(
        NOTIFICATION_CREATED, NotificationPayload, "recipient", "an in-app notification is stored"
    ),
    EventSpec(
        NOTIFICATION_READ,
        NotificationReadPayload,
        "recipient",
        "notifications are marked read (clears other tabs' badges)",
    ),
]

CATALOGUE: dict[str, EventSpec] = {spec.type: spec for spec in _SPECS}
assert len(CATALOGUE) == len(_SPECS), "duplicate event type in the catalogue"


class UndeclaredEvent(LookupError):
    pass


class InvalidPayload(ValueError):
    pass


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UndeclaredEvent(
            f"event type {event_type!r} is not declared in realtime/catalogue.py"
        ) from None


def validate_payload(event_type: str, data: dict[str, Any]) -> EventSpec:
    """Raise UndeclaredEvent / InvalidPayload unless `data` fits `event_type`'s model."""
    spec = spec_for(event_type)
    try:
        spec.payload.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"{event_type}: {exc}") from None
    return spec


# --------------------------------------------------------------------------- exports


def json_schema() -> dict[str, Any]:
    """One JSON Schema document: every payload model under `$defs`, plus `EventMap`
    (event type → payload) and the envelope."""
    defs: dict[str, Any] = {}
    event_map: dict[str, Any] = {}
    for spec in _SPECS:
        schema = spec.payload.model_json_schema(ref_template="#/$defs/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            defs[name] = sub
        defs[spec.payload.__name__] = schema
        event_map[spec.type] = {"$ref": f"#/$defs/{spec.payload.__name__}"}
    defs["EventMap"] = {
        "type": "object",
        "description": "Event type → the shape of its `data`.",
        "properties": event_map,
        "required": list(event_map),
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Consult realtime events",
        "$defs": dict(sorted(defs.items())),
    }


def openapi_document() -> dict[str, Any]:
    """The JSON Schema wrapped as OpenAPI components, for openapi-typescript (as REST)."""
    text = _dumps(json_schema()["$defs"]).replace('"#/$defs/', '"#/components/schemas/')
    import json

    return {
        "openapi": "3.1.0",
        "info": {"title": "Consult realtime events", "version": "1"},
        "paths": {},
        "components": {"schemas": json.loads(text)},
    }


def readme_table() -> str:
    lines = [
        "| type | to | when | replayed | email if unacked |",
        "|---|---|---|---|---|",
    ]
    for spec in _SPECS:
        replayed = "yes" if spec.durable and not spec.socket_only else "no"
        email = "yes" if spec.ack_fallback else "no"
        lines.append(f"| `{spec.type}` | {spec.to} | {spec.when} | {replayed} | {email} |")
    return "\n".join(lines)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
