"""Read side of experts: what the public may see."""

from __future__ import annotations

from django.db.models import QuerySet

from consultations.models import Expert, ExpertiseArea, Language
from project.api_errors import NotFound


def public_experts() -> QuerySet[Expert]:
    """Approved experts only, with their expertise areas and languages prefetched.

    Prefetching keeps the list at a fixed number of queries (count, page, two
    prefetches) whatever the page size.
    """
    return Expert.objects.filter(
        verification_status=Expert.VerificationStatus.APPROVED
    ).prefetch_related("expertise_areas", "languages")


def get_public_expert(expert_id: int) -> Expert:
    expert = public_experts().filter(pk=expert_id).first()
    if expert is None:
        # Same answer for "missing" and "not approved": the public learns nothing.
        raise NotFound("Expert not found.")
    return expert


def expert_for_user(user) -> Expert | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Expert.objects.filter(user=user).first()


def expertise_areas_in_use() -> QuerySet[ExpertiseArea]:
    return ExpertiseArea.objects.filter(
        experts__verification_status=Expert.VerificationStatus.APPROVED
    ).distinct()


def languages_in_use() -> QuerySet[Language]:
    return Language.objects.filter(
        experts__verification_status=Expert.VerificationStatus.APPROVED
    ).distinct()
