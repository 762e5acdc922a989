"""Client → server stream messages.

stream.ack  {epoch, offset}   the tab has handled every event up to `offset`; booking
                              changes acknowledged in time are not emailed (realtime/delivery.py)
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async

from project.api_errors import ServiceError
from realtime import stream
from realtime.handlers import register


@register("stream.ack")
async def handle_ack(consumer: Any, data: dict[str, Any]) -> None:
    epoch, offset = data.get("epoch"), data.get("offset")
    if not isinstance(epoch, str) or not epoch or len(epoch) > 64:
        raise ServiceError("epoch must be the stream's epoch.", field="epoch")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ServiceError("offset must be a non-negative integer.", field="offset")
    await sync_to_async(stream.get_store().ack, thread_sensitive=False)(
        consumer.user.id, epoch, offset
    )
    return None
