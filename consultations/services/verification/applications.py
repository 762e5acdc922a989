"""Expert applications and expert status: apply, review, suspend, reinstate.

Every status change goes through this module so that each one writes a
VerificationAuditLog row, pushes `verification.updated` to the applicant and sends the
matching domain signal after commit (the notifications app turns those into emails).
The Django admin's bulk actions call these same functions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations import signals
from consultations.models import (
    Expert,
    ExpertApplication,
    ExpertVerificationDocument,
    VerificationAuditLog,
)
from consultations.services.verification.profile import (
    clean_list,
    expertise_rows,
    language_rows,
    normalise_language_code,
    validate_profile,
)
from project.api_errors import NotAllowed, ServiceError
from realtime.events import publish_to_user

VERIFICATION_UPDATED = "verification.updated"
Status = ExpertApplication.Status
ExpertStatus = Expert.VerificationStatus


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    CHOICES = (APPROVE, REJECT, REQUEST_CHANGES)


# Which application statuses each decision may start from.
_DECISION_FROM: dict[str, tuple[str, ...]] = {
    Decision.APPROVE: (Status.PENDING, Status.UNDER_REVIEW, Status.CHANGES_REQUESTED),
    Decision.REJECT: (Status.PENDING, Status.UNDER_REVIEW, Status.CHANGES_REQUESTED),
    Decision.REQUEST_CHANGES: (Status.PENDING, Status.UNDER_REVIEW),
}
_DECISION_TO: dict[str, str] = {
    Decision.APPROVE: Status.APPROVED,
    Decision.REJECT: Status.REJECTED,
    Decision.REQUEST_CHANGES: Status.CHANGES_REQUESTED,
}


def _audit(
    *,
    actor: User | None,
    from_status: str,
    to_status: str,
    note: str = "",
    application: ExpertApplication | None = None,
    expert: Expert | None = None,
) -> VerificationAuditLog:
    return VerificationAuditLog.objects.create(
        application=application,
        expert=expert,
        actor=actor,
        from_status=from_status or "",
        to_status=to_status,
        note=note or "",
    )


def _notify_applicant(
    user_id: int,
    *,
    application: ExpertApplication | None,
    expert: Expert | None,
    from_status: str,
    to_status: str,
    notes: str = "",
) -> None:
    publish_to_user(
        user_id,
        VERIFICATION_UPDATED,
        {
            "application_id": application.pk if application else None,
            "application_status": application.status if application else None,
            "expert_id": expert.pk if expert else None,
            "expert_status": expert.verification_status if expert else None,
            "is_verified": bool(expert and expert.is_verified),
            "from_status": from_status,
            "to_status": to_status,
            "notes": notes,
        },
    )


def _refresh_next_available(expert: Expert) -> None:
    # The "soonest availability" order depends on the status: a suspended expert has
    # no bookable slot, a re-activated one gets theirs back.
    from consultations.services.scheduling import refresh_next_available_at

    refresh_next_available_at(expert)


def _require_staff(user: User | None) -> None:
    if user is None or not user.is_active or not user.is_staff:
        raise NotAllowed("Only staff members can review expert applications.")


def apply_for_expert(
    *,
    user: User,
    motivation: str,
    expertise: str,
    experience: str,
    headline: str = "",
    expertise_areas: list[str] | None = None,
    languages: list[str] | None = None,
    hourly_rate: Decimal = Decimal("0"),
    currency: str = "USD",
    timezone_name: str = "UTC",
) -> tuple[ExpertApplication, bool]:
    """Open an application, or resubmit the one the reviewer asked changes for.

    Returns (application, created). One open application per user: a second one while
    the first is pending/under review is refused with a 400 (the DB constraint backs
    this up for concurrent requests). A rejected user may apply again.
    """
    areas = clean_list(expertise_areas or [])
    langs = clean_list(languages or [], normalise=normalise_language_code)
    currency = currency.strip().upper()
    validate_profile(
        expertise_areas=areas,
        languages=langs,
        hourly_rate=hourly_rate,
        currency=currency,
        timezone_name=timezone_name,
    )
    fields: dict[str, Any] = {
        "motivation": motivation,
        "expertise": expertise,
        "experience": experience,
        "headline": headline,
        "expertise_areas": areas,
        "languages": langs,
        "hourly_rate": hourly_rate,
        "currency": currency,
        "timezone": timezone_name,
    }
    with transaction.atomic():
        # Serialises concurrent applies of the same user on the user row.
        User.objects.select_for_update().filter(pk=user.pk).first()
        expert = Expert.objects.filter(user=user).first()
        if expert and expert.verification_status == ExpertStatus.APPROVED:
            raise ServiceError(
                "You are already a verified expert.",
                code="already_expert",
                field="non_field_errors",
            )
        if expert and expert.verification_status == ExpertStatus.SUSPENDED:
            raise ServiceError(
                "Your expert profile is suspended; contact support to have it reinstated.",
                code="expert_suspended",
                field="non_field_errors",
            )
        open_app = (
            ExpertApplication.objects.select_for_update()
            .filter(applicant=user, status__in=ExpertApplication.OPEN_STATUSES)
            .first()
        )
        if open_app is not None and open_app.status != Status.CHANGES_REQUESTED:
            raise ServiceError(
                "You already have an open application; wait for its review.",
                code="application_open",
                field="non_field_errors",
                extra={"application_id": open_app.pk},
            )
        created = open_app is None
        if open_app is None:
            try:
                with transaction.atomic():
                    application = ExpertApplication.objects.create(applicant=user, **fields)
            except IntegrityError as exc:  # a concurrent apply won the race
                raise ServiceError(
                    "You already have an open application; wait for its review.",
                    code="application_open",
                    field="non_field_errors",
                ) from exc
            from_status = ""
        else:
            application = open_app
            from_status = application.status
            for name, value in fields.items():
                setattr(application, name, value)
            application.status = Status.PENDING
            application.save()
        if expert is not None:
            expert.verification_submitted_at = timezone.now()
            expert.save(update_fields=["verification_submitted_at", "updated_at"])
        note = "Application submitted." if created else "Application resubmitted with changes."
        _audit(
            actor=user,
            application=application,
            from_status=from_status,
            to_status=application.status,
            note=note,
        )
        _notify_applicant(
            user.pk,
            application=application,
            expert=expert,
            from_status=from_status,
            to_status=application.status,
        )
        transaction.on_commit(
            lambda: signals.expert_application_submitted.send(
                sender=ExpertApplication, application=application
            )
        )
    return application, created


def _profile_name(user: User) -> str:
    # Never fall back to the full e-mail address: the name is public.
    return user.get_full_name() or (user.email or user.username).split("@", 1)[0]


def _activate_expert(application: ExpertApplication, notes: str) -> tuple[Expert, str]:
    """Create the Expert or re-activate the existing one, copying the proposed profile."""
    now = timezone.now()
    expert = Expert.objects.select_for_update().filter(user=application.applicant).first()
    old_status = expert.verification_status if expert else ""
    if expert is None:
        expert = Expert(user=application.applicant, name=_profile_name(application.applicant))
    expert.headline = application.headline or expert.headline
    expert.hourly_rate = application.hourly_rate
    expert.currency = application.currency
    expert.timezone = application.timezone
    expert.verification_status = ExpertStatus.APPROVED
    expert.verification_submitted_at = application.submitted_at
    expert.verified_at = now
    expert.verification_notes = notes
    expert.save()
    expert.expertise_areas.set(expertise_rows(application.expertise_areas))
    expert.languages.set(language_rows(application.languages))
    _refresh_next_available(expert)
    return expert, old_status


def mark_under_review(*, application: ExpertApplication, reviewer: User) -> ExpertApplication:
    """A reviewer picks the application up, so the applicant sees someone is on it."""
    _require_staff(reviewer)
    with transaction.atomic():
        application = ExpertApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.PENDING:
            raise ServiceError(
                f"Only a pending application can be put under review; this one is "
                f"{application.get_status_display().lower()}.",
                code="invalid_transition",
                field="status",
            )
        from_status = application.status
        application.status = Status.UNDER_REVIEW
        application.reviewer = reviewer
        application.save(update_fields=["status", "reviewer", "updated_at"])
        _audit(
            actor=reviewer,
            application=application,
            from_status=from_status,
            to_status=application.status,
        )
        _notify_applicant(
            application.applicant_id,
            application=application,
            expert=None,
            from_status=from_status,
            to_status=application.status,
        )
    return application


def review_application(
    *, application: ExpertApplication, reviewer: User, decision: str, notes: str = ""
) -> ExpertApplication:
    """Approve, reject or ask for changes. Invalid transitions change nothing (400)."""
    _require_staff(reviewer)
    if decision not in Decision.CHOICES:
        raise ServiceError(
            f"Decision must be one of: {', '.join(Decision.CHOICES)}.", field="decision"
        )
    notes = (notes or "").strip()
    if decision == Decision.REQUEST_CHANGES and not notes:
        raise ServiceError("Say which changes are needed.", field="notes", code="required")

    with transaction.atomic():
        application = (
            ExpertApplication.objects.select_for_update()
            .select_related("applicant")
            .get(pk=application.pk)
        )
        if application.status not in _DECISION_FROM[decision]:
            raise ServiceError(
                f"Cannot {decision.replace('_', ' ')}: the application is already "
                f"{application.get_status_display().lower()}.",
                code="invalid_transition",
                field="decision",
                extra={"status": application.status},
            )
        from_status = application.status
        application.status = _DECISION_TO[decision]
        application.reviewer = reviewer
        application.review_notes = notes
        application.reviewed_at = timezone.now()
        application.save()
        _audit(
            actor=reviewer,
            application=application,
            from_status=from_status,
            to_status=application.status,
            note=notes,
        )

        expert: Expert | None = None
        if decision == Decision.APPROVE:
            expert, old_expert_status = _activate_expert(application, notes)
            application.documents.filter(status=ExpertVerificationDocument.Status.PENDING).update(
                status=ExpertVerificationDocument.Status.ACCEPTED
            )
            _audit(
                actor=reviewer,
                application=application,
                expert=expert,
                from_status=old_expert_status,
                to_status=expert.verification_status,
                note=notes or "Application approved.",
            )
        else:
            expert = Expert.objects.filter(user=application.applicant).first()

        _notify_applicant(
            application.applicant_id,
            application=application,
            expert=expert,
            from_status=from_status,
            to_status=application.status,
            notes=notes,
        )
        transaction.on_commit(
            lambda: signals.expert_application_reviewed.send(
                sender=ExpertApplication,
                application=application,
                decision=decision,
                reviewer=reviewer,
            )
        )
    return application


def _change_expert_status(
    *, expert: Expert, actor: User, allowed_from: str, to_status: str, verb: str, note: str
) -> Expert:
    _require_staff(actor)
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert.pk)
        if expert.verification_status != allowed_from:
            raise ServiceError(
                f"Cannot {verb} this expert: their status is "
                f"{expert.get_verification_status_display().lower()}.",
                code="invalid_transition",
                field="verification_status",
                extra={"status": expert.verification_status},
            )
        old_status = expert.verification_status
        expert.verification_status = to_status
        expert.verification_notes = note or expert.verification_notes
        if to_status == ExpertStatus.APPROVED:
            expert.verified_at = timezone.now()
        expert.save(
            update_fields=["verification_status", "verification_notes", "verified_at", "updated_at"]
        )
        _refresh_next_available(expert)
        _audit(actor=actor, expert=expert, from_status=old_status, to_status=to_status, note=note)
        latest = ExpertApplication.objects.filter(applicant_id=expert.user_id).first()
        _notify_applicant(
            expert.user_id,
            application=latest,
            expert=expert,
            from_status=old_status,
            to_status=to_status,
            notes=note,
        )
        transaction.on_commit(
            lambda: signals.expert_status_changed.send(
                sender=Expert,
                expert=expert,
                old_status=old_status,
                new_status=to_status,
                actor=actor,
            )
        )
    return expert


def suspend_expert(*, expert: Expert, actor: User, note: str = "") -> Expert:
    """Hide an approved expert from the public list; reversible with reinstate_expert."""
    return _change_expert_status(
        expert=expert,
        actor=actor,
        allowed_from=ExpertStatus.APPROVED,
        to_status=ExpertStatus.SUSPENDED,
        verb="suspend",
        note=(note or "").strip(),
    )


def reinstate_expert(*, expert: Expert, actor: User, note: str = "") -> Expert:
    return _change_expert_status(
        expert=expert,
        actor=actor,
        allowed_from=ExpertStatus.SUSPENDED,
        to_status=ExpertStatus.APPROVED,
        verb="reinstate",
        note=(note or "").strip(),
    )
