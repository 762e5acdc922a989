"""Read side of experts: what the public may see."""

from __future__ import annotations

from django.db.models import QuerySet

from consultations.models import Expert
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
