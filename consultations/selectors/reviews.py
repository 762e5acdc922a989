"""Read side of reviews: what the profile lists and who may see hidden ones."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from consultations.models import Review
from consultations.selectors.experts import get_public_expert


def reviews_for_profile(expert_id: int, viewer: User | AnonymousUser) -> QuerySet[Review]:
    """Newest first. Hidden reviews are left out, except for staff (who may restore them).

    404 unless the expert's profile is public, like the profile itself.
    """
    expert = get_public_expert(expert_id)
    qs = Review.objects.filter(expert=expert).select_related("author", "expert")
    if not getattr(viewer, "is_staff", False):
        qs = qs.filter(hidden_at__isnull=True)
    return qs.order_by("-created_at", "-id")
