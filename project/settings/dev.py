"""Local development and the `bin/run` demo: debug on, embedded fallbacks allowed."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
