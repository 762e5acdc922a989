"""Local development and the `bin/run` demo: debug on, embedded fallbacks allowed."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

# Django's test Client (used by the benchmarks in bench/) calls itself "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# A published event must match realtime/catalogue.py (see the Realtime README section).
REALTIME_STRICT_EVENTS = env_bool("REALTIME_STRICT_EVENTS", True)
