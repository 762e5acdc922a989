"""Every new user gets a Profile, however it was created (sign-up, admin, createsuperuser)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models.signals import post_save


def create_profile(sender: Any, instance: User, created: bool, raw: bool = False, **_: Any) -> None:
    if created and not raw:
        from accounts.models import Profile

        Profile.objects.get_or_create(user=instance)


def connect() -> None:
    post_save.connect(create_profile, sender=User, dispatch_uid="accounts.create_profile")
