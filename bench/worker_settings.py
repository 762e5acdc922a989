"""Settings for the Celery workers of bench/reliability_worker_kill.py (not for production).

The dev settings, plus: emails recorded to a file by a deliberately slow backend (so a
SIGKILL lands mid-run), and short recovery timers so the run finishes in seconds rather
than the production 10 minutes (stale claims) and 1 hour (broker redelivery).
"""

import os

from project.settings.dev import *  # noqa: F403

EMAIL_BACKEND = "bench.reliability_worker_kill.RecordingSlowBackend"
REMINDER_RETRY_AFTER_MINUTES = float(os.environ.get("REMINDER_RETRY_AFTER_MINUTES", "0.05"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 10}
