"""The logged-in user's own expert profile, whatever its verification status."""

from __future__ import annotations

from django.contrib.auth.models import User

from consultations.models import Expert
from project.api_errors import NotFound


def own_expert_profile(user: User) -> Expert:
    expert = (
        Expert.objects.filter(user_id=user.pk)
        .prefetch_related("expertise_areas", "languages")
        .first()
    )
    if expert is None:
        raise NotFound("You have no expert profile; apply as an expert first.")
    return expert
