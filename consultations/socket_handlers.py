"""Meeting presence over the /ws/ socket.

Client → server:
  meeting.presence {consultation_id, state: "joined" | "left"}
      sent by the video page on Jitsi's videoConferenceJoined / videoConferenceLeft
      (and when the page closes); the reply carries the attendance summary.
A socket that closes leaves every call it had joined (`on_disconnect` hook).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from consultations.services import attendance
from project.api_errors import ServiceError
from realtime.handlers import on_disconnect, register

STATES = ("joined", "left")


def _consultation_id(data: dict[str, Any]) -> int:
    value = data.get("consultation_id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ServiceError("Give the consultation's id.", field="consultation_id")
    return value


@register("meeting.presence")
async def meeting_presence(consumer: Any, data: dict[str, Any]) -> dict[str, Any]:
    consultation_id = _consultation_id(data)
    state = data.get("state")
    if state not in STATES:
        raise ServiceError("state must be 'joined' or 'left'.", field="state")
    action = attendance.report_join if state == "joined" else attendance.report_leave
    result = await database_sync_to_async(action)(
        consultation_id=consultation_id, user=consumer.user, connection_id=consumer.channel_name
    )
    joined: set[int] = consumer.__dict__.setdefault("meeting_presence", set())
    if state == "joined":
        joined.add(consultation_id)
    else:
        joined.discard(consultation_id)
    result.pop("intervals", None)
    return {"consultation_id": consultation_id, "state": state, "attendance": result}


@on_disconnect
async def leave_calls_on_close(consumer: Any) -> None:
    if not consumer.__dict__.get("meeting_presence"):
        return  # this socket never reported a join: no database work on close
    await database_sync_to_async(attendance.close_connection)(
        user=consumer.user, connection_id=consumer.channel_name
    )
