"""Jitsi meeting rooms. (Extended by the meetings work: URLs, access checks, JWT.)"""

from __future__ import annotations

import secrets


class JitsiService:
    @staticmethod
    def create_meeting_room() -> str:
        # 128 bits from the OS CSPRNG: unguessable, and not derived from ids or names.
        return f"consult-{secrets.token_urlsafe(16)}"
