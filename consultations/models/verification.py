from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q


def document_upload_path(instance: ExpertVerificationDocument, filename: str) -> str:
    # Random stored name: the user's file name never reaches the file system.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"verification/{uuid.uuid4().hex}{suffix}"


class ExpertApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        UNDER_REVIEW = "under_review", "Under review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    OPEN_STATUSES = (Status.PENDING, Status.UNDER_REVIEW, Status.CHANGES_REQUESTED)

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_applications"
    )
    motivation = models.TextField()
    expertise = models.TextField(help_text="Free text: fields of expertise.")
    experience = models.TextField()
    # Proposed public profile, copied to the Expert on approval.
    headline = models.CharField(max_length=200, blank=True)
    expertise_areas = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="UTC")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_expert_applications",
    )
    review_notes = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status__in=["pending", "under_review", "changes_requested"]),
                name="one_open_application_per_user",
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        who = self.applicant.get_full_name() or self.applicant.email
        return f"{who}'s application ({self.get_status_display().lower()})"


class ExpertVerificationDocument(models.Model):
    class DocumentType(models.TextChoices):
        CERTIFICATE = "certificate", "Certificate"
        LICENSE = "license", "License"
        EDUCATION = "education", "Education"
        ID = "id", "Identity document"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    application = models.ForeignKey(
        ExpertApplication, on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    file = models.FileField(upload_to=document_upload_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reviewer_notes = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()}: {self.original_name}"


class VerificationAuditLog(models.Model):
    """Every status change of an application or expert: who, when, from, to, note."""

    application = models.ForeignKey(
        ExpertApplication,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_log",
    )
    expert = models.ForeignKey(
        "consultations.Expert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_log",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
