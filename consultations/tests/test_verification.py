"""The verification workflow: apply, review, suspend/reinstate (services and REST API)."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from consultations.models import (
    Expert,
    ExpertApplication,
    ExpertAvailability,
    ExpertiseArea,
    ExpertVerificationDocument,
    Language,
    VerificationAuditLog,
)
from consultations.services import verification as services
from consultations.tests.factories import add_weekly_hours, make_expert
from consultations.tests.verification_helpers import (
    PDF_BYTES,
    apply_payload,
    make_application,
    record_signals,
    upload,
)
from project.api_errors import NotAllowed, ServiceError
from realtime.testing import assert_no_event, connect_ws, receive_event

# Uploads land in a per-test folder (consultations/tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_media")

APPLY = reverse("expert-apply")
MY_APP = reverse("expert-my-application")
STATUS = reverse("expert-verification-status")
UPLOAD = reverse("expert-upload-document")
ADMIN_LIST = reverse("admin-application-list")
EXPERTS = reverse("expert-list")


def review_url(pk: int) -> str:
    return reverse("admin-application-review", args=[pk])


# --------------------------------------------------------------------------- apply


def test_apply_creates_pending_application_audit_event_and_signal(
    user, client_for, django_capture_on_commit_callbacks
):
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True) as cbs:
        resp = client_for(user).post(APPLY, apply_payload(), format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "pending"
    assert body["languages"] == ["en", "pt-br"]
    assert body["currency"] == "EUR"
    assert body["expertise_areas"] == ["Tax law", "Accounting"]
    app = ExpertApplication.objects.get(pk=body["id"])
    assert app.applicant == user
    log = list(VerificationAuditLog.objects.filter(application=app))
    assert [(e.from_status, e.to_status, e.actor_id) for e in log] == [("", "pending", user.pk)]
    assert calls == [("submitted", {"application": app})]
    # One callback publishes verification.updated, one sends the signal.
    assert len(cbs) == 2


def test_second_open_application_is_a_clear_400_and_creates_nothing(user, client_for):
    client = client_for(user)
    assert client.post(APPLY, apply_payload(), format="json").status_code == 201
    resp = client.post(APPLY, apply_payload(motivation="again"), format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"]["code"] == "application_open"
    assert "already have an open application" in body["error"]["message"]
    assert ExpertApplication.objects.filter(applicant=user).count() == 1


def test_db_constraint_backs_up_one_open_application(user):
    make_application(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_application(user, status=ExpertApplication.Status.UNDER_REVIEW)


def test_concurrent_insert_that_hits_the_constraint_is_a_400_not_a_500(user, monkeypatch):
    # Simulate losing the race: the pre-check sees nothing, the insert hits the constraint.
    make_application(user)
    real_filter = ExpertApplication.objects.filter

    class _Empty:
        def select_for_update(self):
            return self

        def filter(self, *a, **k):
            return self

        def first(self):
            return None

    monkeypatch.setattr(
        ExpertApplication.objects,
        "select_for_update",
        lambda: _Empty(),
    )
    with pytest.raises(ServiceError) as exc:
        services.apply_for_expert(user=user, motivation="m", expertise="e", experience="x")
    assert exc.value.code == "application_open"
    assert real_filter(applicant=user).count() == 1


def test_rejected_user_may_apply_again(user, client_for):
    make_application(user, status=ExpertApplication.Status.REJECTED)
    resp = client_for(user).post(APPLY, apply_payload(), format="json")
    assert resp.status_code == 201
    assert ExpertApplication.objects.filter(applicant=user).count() == 2


def test_apply_after_changes_requested_resubmits_the_same_application(user, staff_user, client_for):
    client = client_for(user)
    app_id = client.post(APPLY, apply_payload(), format="json").json()["id"]
    resp = client_for(staff_user).post(
        review_url(app_id), {"decision": "request_changes", "notes": "Add a CV."}, format="json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "changes_requested"
    resp = client.post(APPLY, apply_payload(experience="Now with CV."), format="json")
    assert resp.status_code == 200
    assert resp.json()["id"] == app_id
    app = ExpertApplication.objects.get(pk=app_id)
    assert app.status == "pending" and app.experience == "Now with CV."
    assert list(app.audit_log.values_list("to_status", flat=True)) == [
        "pending",
        "changes_requested",
        "pending",
    ]


def test_verified_expert_cannot_apply(user, client_for):
    make_expert(user=user)
    resp = client_for(user).post(APPLY, apply_payload(), format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "already_expert"
    assert not ExpertApplication.objects.exists()


def test_suspended_expert_cannot_apply_around_the_suspension(user, client_for):
    make_expert(user=user, verification_status=Expert.VerificationStatus.SUSPENDED)
    resp = client_for(user).post(APPLY, apply_payload(), format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "expert_suspended"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"languages": ["english!"]}, "languages"),
        ({"hourly_rate": "-5"}, "hourly_rate"),
        ({"currency": "EURO"}, "currency"),
        ({"motivation": ""}, "motivation"),
        ({"expertise_areas": "not a list"}, "expertise_areas"),
    ],
)
def test_bad_apply_input_names_the_field(user, client_for, override, field):
    resp = client_for(user).post(APPLY, apply_payload(**override), format="json")
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]
    assert not ExpertApplication.objects.exists()


def test_anonymous_cannot_apply(db, api_client):
    resp = api_client.post(APPLY, apply_payload(), format="json")
    assert resp.status_code in (401, 403)
    assert not ExpertApplication.objects.exists()


# --------------------------------------------------------------------------- review


def test_approve_creates_expert_from_the_proposed_profile(
    user, staff_user, client_for, django_capture_on_commit_callbacks
):
    user.first_name, user.last_name = "Teresa", "Tax"
    user.save()
    app_id = client_for(user).post(APPLY, apply_payload(), format="json").json()["id"]
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True):
        resp = client_for(staff_user).post(
            review_url(app_id), {"decision": "approve", "notes": "Welcome!"}, format="json"
        )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "approved"
    assert resp.json()["reviewer"]["id"] == staff_user.pk

    expert = Expert.objects.get(user=user)
    assert expert.is_verified and expert.verified_at is not None
    assert expert.name == "Teresa Tax"
    assert expert.headline == "Tax advisor for startups"
    assert expert.hourly_rate == Decimal("95.00") and expert.currency == "EUR"
    assert expert.timezone == "Europe/Lisbon"
    assert expert.verification_notes == "Welcome!"
    assert sorted(a.slug for a in expert.expertise_areas.all()) == ["accounting", "tax-law"]
    assert sorted(lang.code for lang in expert.languages.all()) == ["en", "pt-br"]
    assert Language.objects.get(code="pt-br").name == "Brazilian Portuguese"

    app = ExpertApplication.objects.get(pk=app_id)
    assert app.reviewer == staff_user and app.reviewed_at is not None
    app_log = [
        (e.from_status, e.to_status, e.expert_id)
        for e in VerificationAuditLog.objects.filter(application=app)
    ]
    assert app_log == [
        ("", "pending", None),
        ("pending", "approved", None),
        ("", "approved", expert.pk),
    ]
    assert [(name, kw["decision"], kw["reviewer"]) for name, kw in calls] == [
        ("reviewed", "approve", staff_user)
    ]


def test_approve_reuses_existing_areas_and_reactivates_existing_expert(user, staff_user):
    area = ExpertiseArea.objects.create(name="Tax law", slug="tax-law")
    old = make_expert(user=user, verification_status=Expert.VerificationStatus.REJECTED)
    app = make_application(user, expertise_areas=["tax law", "Payroll"])
    services.review_application(application=app, reviewer=staff_user, decision="approve")
    old.refresh_from_db()
    assert Expert.objects.filter(user=user).count() == 1
    assert old.verification_status == "approved"
    assert area in old.expertise_areas.all()
    assert ExpertiseArea.objects.filter(slug="tax-law").count() == 1
    entry = VerificationAuditLog.objects.get(expert=old)
    assert (entry.from_status, entry.to_status) == ("rejected", "approved")


def test_approve_accepts_pending_documents(user, staff_user):
    app = make_application(user)
    services.upload_verification_document(
        user=user, file=upload("cv.pdf", PDF_BYTES), document_type="certificate"
    )
    services.review_application(application=app, reviewer=staff_user, decision="approve")
    assert list(app.documents.values_list("status", flat=True)) == [
        ExpertVerificationDocument.Status.ACCEPTED
    ]


@pytest.mark.parametrize(
    ("start", "decision"),
    [
        ("approved", "approve"),
        ("approved", "reject"),
        ("rejected", "approve"),
        ("rejected", "reject"),
        ("changes_requested", "request_changes"),
    ],
)
def test_invalid_transition_is_400_and_changes_nothing(
    user, staff_user, client_for, django_capture_on_commit_callbacks, start, decision
):
    app = make_application(user, status=start, review_notes="original")
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True) as cbs:
        resp = client_for(staff_user).post(
            review_url(app.pk), {"decision": decision, "notes": "n"}, format="json"
        )
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"]["code"] == "invalid_transition"
    assert "already" in body["error"]["message"]
    assert "decision" in body["error"]["fields"]
    app.refresh_from_db()
    assert app.status == start and app.review_notes == "original" and app.reviewer is None
    assert not VerificationAuditLog.objects.exists()
    assert not Expert.objects.filter(user=user).exists()
    assert calls == [] and cbs == []


def test_request_changes_needs_notes(user, staff_user, client_for):
    app = make_application(user)
    resp = client_for(staff_user).post(
        review_url(app.pk), {"decision": "request_changes"}, format="json"
    )
    assert resp.status_code == 400
    assert "notes" in resp.json()["error"]["fields"]
    app.refresh_from_db()
    assert app.status == "pending"


def test_unknown_decision_is_400(user, staff_user, client_for):
    app = make_application(user)
    resp = client_for(staff_user).post(review_url(app.pk), {"decision": "maybe"}, format="json")
    assert resp.status_code == 400
    assert "decision" in resp.json()["error"]["fields"]


def test_reject_keeps_no_expert_and_signals_after_commit(
    user, staff_user, client_for, django_capture_on_commit_callbacks
):
    app = make_application(user)
    with record_signals() as calls:
        with django_capture_on_commit_callbacks(execute=False) as cbs:
            resp = client_for(staff_user).post(
                review_url(app.pk),
                {"decision": "reject", "notes": "Too little experience."},
                "json",
            )
        assert calls == []  # nothing is sent before the commit
        for callback in cbs:
            callback()
    assert resp.status_code == 200
    app.refresh_from_db()
    assert app.status == "rejected" and app.review_notes == "Too little experience."
    assert not Expert.objects.filter(user=user).exists()
    assert [(n, kw["decision"]) for n, kw in calls] == [("reviewed", "reject")]


def test_non_staff_review_is_403_and_changes_nothing(user, other_user, client_for):
    app = make_application(user)
    for who in (user, other_user):
        resp = client_for(who).post(review_url(app.pk), {"decision": "approve"}, format="json")
        assert resp.status_code == 403
    app.refresh_from_db()
    assert app.status == "pending"
    assert not Expert.objects.exists()


def test_service_refuses_non_staff_reviewer(user, other_user):
    app = make_application(user)
    with pytest.raises(NotAllowed):
        services.review_application(application=app, reviewer=other_user, decision="approve")
    # Approving your own application is the obvious case to guard.
    with pytest.raises(NotAllowed):
        services.review_application(application=app, reviewer=user, decision="approve")


def test_review_of_missing_application_is_404(staff_user, client_for):
    resp = client_for(staff_user).post(review_url(999999), {"decision": "approve"}, "json")
    assert resp.status_code == 404


def test_mark_under_review_then_approve(user, staff_user):
    app = make_application(user)
    services.mark_under_review(application=app, reviewer=staff_user)
    app.refresh_from_db()
    assert app.status == "under_review"
    with pytest.raises(ServiceError):
        services.mark_under_review(application=app, reviewer=staff_user)
    services.review_application(application=app, reviewer=staff_user, decision="approve")
    assert list(app.audit_log.filter(expert=None).values_list("to_status", flat=True)) == [
        "under_review",
        "approved",
    ]


# --------------------------------------------------------------------------- suspend / reinstate


def test_suspend_and_reinstate_audit_signal_and_visibility(
    staff_user, api_client, django_capture_on_commit_callbacks
):
    expert = make_expert()
    detail = reverse("expert-detail", args=[expert.pk])
    assert api_client.get(detail).status_code == 200
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True):
        services.suspend_expert(expert=expert, actor=staff_user, note="Complaints")
    expert.refresh_from_db()
    assert expert.verification_status == "suspended"
    assert api_client.get(detail).status_code == 404
    with pytest.raises(ServiceError) as exc:
        services.suspend_expert(expert=expert, actor=staff_user)
    assert exc.value.code == "invalid_transition"
    with record_signals() as calls2, django_capture_on_commit_callbacks(execute=True):
        services.reinstate_expert(expert=expert, actor=staff_user, note="Resolved")
    assert api_client.get(detail).status_code == 200
    with pytest.raises(ServiceError):
        services.reinstate_expert(expert=expert, actor=staff_user)
    log = [(e.from_status, e.to_status, e.note) for e in expert.audit_log.all()]
    assert log == [("approved", "suspended", "Complaints"), ("suspended", "approved", "Resolved")]
    assert [(n, kw["old_status"], kw["new_status"], kw["actor"]) for n, kw in calls + calls2] == [
        ("expert_status", "approved", "suspended", staff_user),
        ("expert_status", "suspended", "approved", staff_user),
    ]


def test_suspension_clears_and_reinstatement_restores_next_available_at(staff_user):
    expert = make_expert(next_available_at=timezone.now() + timedelta(days=1), min_notice_minutes=0)
    ExpertAvailability.objects.bulk_create(
        ExpertAvailability(expert=expert, weekday=d, start_time=time(0, 0), end_time=time(23, 30))
        for d in range(7)
    )
    services.suspend_expert(expert=expert, actor=staff_user)
    expert.refresh_from_db()
    assert expert.next_available_at is None
    services.reinstate_expert(expert=expert, actor=staff_user)
    expert.refresh_from_db()
    assert expert.next_available_at is not None
    assert expert.next_available_at < timezone.now() + timedelta(days=1)


def test_non_staff_cannot_suspend(user):
    expert = make_expert()
    with pytest.raises(NotAllowed):
        services.suspend_expert(expert=expert, actor=user)
    expert.refresh_from_db()
    assert expert.verification_status == "approved"


# --------------------------------------------------------------------------- read endpoints


def test_my_application_404_before_applying_then_latest(user, client_for):
    client = client_for(user)
    resp = client.get(MY_APP)
    assert resp.status_code == 404
    assert "not applied" in resp.json()["error"]["message"]
    make_application(user, status="rejected")
    newest = make_application(user)
    resp = client.get(MY_APP)
    assert resp.status_code == 200 and resp.json()["id"] == newest.pk
    assert resp.json()["documents"] == []


def test_verification_status_follows_the_workflow(user, staff_user, client_for):
    client = client_for(user)
    body = client.get(STATUS).json()
    assert body["status"] == "not_applied" and body["can_apply"] and not body["is_verified"]
    assert body["application"] is None
    app_id = client.post(APPLY, apply_payload(), format="json").json()["id"]
    body = client.get(STATUS).json()
    assert body["status"] == "pending" and not body["can_apply"] and body["can_upload_documents"]
    assert body["application"]["id"] == app_id
    client_for(staff_user).post(review_url(app_id), {"decision": "approve"}, format="json")
    body = client.get(STATUS).json()
    assert body["status"] == "approved" and body["is_verified"] and not body["can_apply"]
    assert body["expert_id"] == Expert.objects.get(user=user).pk


def test_admin_application_list_is_staff_only_and_filters_by_status(
    user, other_user, staff_user, client_for
):
    make_application(user)
    make_application(other_user, status="rejected")
    assert client_for(user).get(ADMIN_LIST).status_code == 403
    resp = client_for(staff_user).get(ADMIN_LIST, {"status": "pending"})
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["applicant"]["id"] for r in results] == [user.pk]
    assert results[0]["applicant"]["email"] == user.email
    resp = client_for(staff_user).get(ADMIN_LIST)
    assert resp.json()["count"] == 2
    assert client_for(staff_user).get(ADMIN_LIST, {"status": "nope"}).status_code == 400


# --------------------------------------------------------------------------- whole workflow


def test_apply_upload_review_then_listed_with_badge(user, staff_user, client_for, api_client):
    client = client_for(user)
    app_id = client.post(APPLY, apply_payload(), format="json").json()["id"]
    resp = client.post(
        UPLOAD, {"file": upload("diploma.pdf", PDF_BYTES), "document_type": "education"}
    )
    assert resp.status_code == 201, resp.content
    assert api_client.get(EXPERTS).json()["count"] == 0

    staff = client_for(staff_user)
    listed = staff.get(ADMIN_LIST, {"status": "pending"}).json()["results"]
    assert [a["id"] for a in listed] == [app_id]
    assert listed[0]["documents"][0]["original_name"] == "diploma.pdf"
    assert staff.post(review_url(app_id), {"decision": "approve"}, "json").status_code == 200

    # Approved but not bookable yet: off the list until weekly hours are set.
    assert api_client.get(EXPERTS).json()["count"] == 0
    add_weekly_hours(Expert.objects.get(user=user))
    results = api_client.get(EXPERTS).json()["results"]
    assert len(results) == 1
    assert results[0]["is_verified"] is True
    assert results[0]["expertise_areas"] == ["Accounting", "Tax law"]
    assert results[0]["currency"] == "EUR"


@pytest.mark.django_db(transaction=True)
async def test_status_changes_are_pushed_live_to_the_applicant_only(user, other_user, staff_user):
    applicant_ws = await connect_ws(user)
    other_ws = await connect_ws(other_user)

    @database_sync_to_async
    def apply():
        return services.apply_for_expert(user=user, motivation="m", expertise="e", experience="x")[
            0
        ]

    @database_sync_to_async
    def approve(app):
        services.review_application(
            application=app, reviewer=staff_user, decision="approve", notes="ok"
        )

    app = await apply()
    event = await receive_event(applicant_ws, "verification.updated")
    assert event["data"]["to_status"] == "pending"
    assert event["data"]["application_id"] == app.pk

    await approve(app)
    event = await receive_event(applicant_ws, "verification.updated")
    assert event["data"]["from_status"] == "pending"
    assert event["data"]["to_status"] == "approved"
    assert event["data"]["is_verified"] is True
    assert event["data"]["notes"] == "ok"
    await assert_no_event(other_ws, "verification.updated")
    await applicant_ws.disconnect()
    await other_ws.disconnect()
