"""An email backend that hangs mid-send, for the test that kills a real worker there."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        # Tell the test we are inside the send (the claim is committed, the row locked).
        Path(os.environ["HANG_MARKER"]).write_text("sending")
        time.sleep(300)  # the test SIGKILLs the worker long before this ends
        return 0
