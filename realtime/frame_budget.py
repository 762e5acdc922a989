"""How many frames one socket may send: a token bucket per socket, kept in its process.

Channels handles one frame per socket at a time, so a socket that sends without pause
keeps one action thread (and its database connection) busy for as long as it likes, and a
few such sockets hold every thread of the process while other people's sends wait. Past
its budget a frame gets a `rate_limited` error at the cost of a decode, never a thread.
A person typing, reading and sending stays far below it; the burst covers a reconnect,
when a tab resumes and marks several conversations read at once.
"""

from __future__ import annotations

import time


class FrameBudget:
    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self) -> float:
        """Spend one frame: 0.0 when it may run, else the seconds until one may."""
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate
