"""Read side of the verification workflow; every function answers for one viewer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from consultations.models import Expert, ExpertApplication, ExpertVerificationDocument
from project.api_errors import NotFound


def applications_for_review() -> QuerySet[ExpertApplication]:
    """All applications, for staff; documents prefetched so the list stays flat in queries."""
    return ExpertApplication.objects.select_related("applicant", "reviewer").prefetch_related(
        "documents"
    )


def get_application_for_review(application_id: int) -> ExpertApplication:
    application = applications_for_review().filter(pk=application_id).first()
    if application is None:
        raise NotFound("Application not found.")
    return application


def latest_application_for(user: User) -> ExpertApplication | None:
    return (
        ExpertApplication.objects.filter(applicant=user)
        .select_related("reviewer")
        .prefetch_related("documents")
        .order_by("-submitted_at", "-id")
        .first()
    )


def verification_status_for(user: User) -> dict[str, Any]:
    """One summary the applicant's status page can render without further calls."""
    expert = Expert.objects.filter(user=user).first()
    application = latest_application_for(user)
    if expert and expert.verification_status in (
        Expert.VerificationStatus.APPROVED,
        Expert.VerificationStatus.SUSPENDED,
    ):
        status = expert.verification_status
    elif application is not None:
        status = application.status
    else:
        status = "not_applied"
    open_app = application is not None and application.status in ExpertApplication.OPEN_STATUSES
    blocked = expert is not None and expert.verification_status in (
        Expert.VerificationStatus.APPROVED,
        Expert.VerificationStatus.SUSPENDED,
    )
    return {
        "status": status,
        "is_verified": bool(expert and expert.is_verified),
        "expert_id": expert.pk if expert else None,
        "expert_status": expert.verification_status if expert else None,
        "verified_at": expert.verified_at if expert else None,
        "application": application,
        "can_apply": not blocked
        and (
            application is None
            or not open_app
            or application.status == ExpertApplication.Status.CHANGES_REQUESTED
        ),
        "can_upload_documents": open_app,
    }


def document_for_viewer(user: User, document_id: int) -> ExpertVerificationDocument:
    """The document if `user` is its applicant or staff; otherwise 404, hiding existence."""
    qs = ExpertVerificationDocument.objects.select_related("application")
    if not user.is_staff:
        qs = qs.filter(application__applicant=user)
    document = qs.filter(pk=document_id).first()
    if document is None:
        raise NotFound("Document not found.")
    return document
