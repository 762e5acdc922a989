"""Read side of experts: what the public may see."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

from consultations.models import Expert, ExpertAvailability
from project.api_errors import NotFound


def public_experts() -> QuerySet[Expert]:
    """Approved experts only, with their expertise areas and languages prefetched.

    Prefetching keeps the list at a fixed number of queries (count, page, two
    prefetches) whatever the page size.
    """
    return Expert.objects.filter(
        verification_status=Expert.VerificationStatus.APPROVED
    ).prefetch_related("expertise_areas", "languages")


def listed_experts() -> QuerySet[Expert]:
    """Experts shown in the marketplace: approved AND bookable (weekly hours set, at least
    one session length and a price). A newly approved expert stays off the list until the
    onboarding checklist is done, so visitors never meet a profile with nothing to book.
    The profile page (`get_public_expert`) stays reachable so the expert can preview it.
    """
    has_hours = ExpertAvailability.objects.filter(expert_id=OuterRef("pk"))
    return (
        public_experts()
        .filter(Exists(has_hours), hourly_rate__isnull=False)
        .exclude(session_lengths=[])
    )


def ranked(qs: QuerySet[Expert]) -> QuerySet[Expert]:
    """The list's default order: average rating plus the stored reliability adjustment
    (0 without a computation), then more reviews, then id (stable pages)."""
    adjustment = Coalesce(
        F("reliability__ranking_adjustment"),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=4, decimal_places=3),
    )
    return qs.annotate(rank=F("average_rating") + adjustment).order_by(
        F("rank").desc(), "-review_count", "id"
    )


def get_public_expert(expert_id: int) -> Expert:
    expert = public_experts().select_related("reliability").filter(pk=expert_id).first()
    if expert is None:
        # Same answer for "missing" and "not approved": the public learns nothing.
        raise NotFound("Expert not found.")
    return expert
