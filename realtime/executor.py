"""The threads that run WebSocket actions which touch the database.

Channels runs `database_sync_to_async` code on ONE shared thread per process, so one socket
process could write one chat message at a time. Socket actions instead run on the event
loop's default executor with `thread_sensitive=False` (chat/socket_handlers.py), sized by
`REALTIME_THREADS` to the process's database pool (`DB_POOL_SIZE`): every thread can hold a
connection, so concurrent sends overlap their commits and none waits for a connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from realtime.events import assign_batched_offsets

_configured: set[int] = set()


def ensure_executor() -> None:
    """Give the running loop a default executor of REALTIME_THREADS threads (once)."""
    loop = asyncio.get_running_loop()
    if id(loop) in _configured:
        return
    _configured.add(id(loop))
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=settings.REALTIME_THREADS, thread_name_prefix="realtime")
    )


def release_connection() -> None:
    """End of a socket action: give a pooled connection back, drop a broken or expired one.

    Like the end of an HTTP request. With DB_POOL_SIZE the connection returns to the pool;
    with DB_CONN_MAX_AGE it stays with the thread until its age is up.
    """
    if settings.DB_POOL_SIZE:
        connection.close()
    else:
        connection.close_if_unusable_or_obsolete()


def _run_action(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    finally:
        release_connection()
        # Inside a socket action (realtime.events.publish_batched): the stream appends
        # of what it published, in one Redis round trip, here rather than in the loop.
        assign_batched_offsets()


# One wrapper for every action: asgiref's sync_to_async builds and inspects a wrapper
# object per call, 1.5 % of a socket process's CPU per chat message when made per action.
_run_action_async = sync_to_async(_run_action, thread_sensitive=False)


def in_action_thread(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` as a coroutine run on the action threads, releasing its connection after."""

    @wraps(func)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await _run_action_async(func, *args, **kwargs)

    return run
