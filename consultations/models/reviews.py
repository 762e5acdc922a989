"""A client's review of a completed consultation, the expert's public reply, staff hiding."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Review(models.Model):
    """One per completed consultation, written by its client.

    The expert's `average_rating` / `review_count` / `rating_sum` count visible reviews only;
    consultations.services.reviews keeps them in step in the same transaction.
    """

    # OneToOne: the database's unique index refuses a second review of one booking.
    consultation = models.OneToOneField(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="review"
    )
    # Denormalised from the consultation so the profile list is one indexed query.
    expert = models.ForeignKey(
        "consultations.Expert", on_delete=models.CASCADE, related_name="reviews"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()

    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    reply_edited_at = models.DateTimeField(null=True, blank=True)

    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["expert", "-created_at", "-id"], name="review_expert_newest")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.expert_id} on #{self.consultation_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
