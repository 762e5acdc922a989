"""Django admin: every model registered and browsable; bulk actions go through the services."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from consultations.models import (
    Expert,
    ExpertVerificationDocument,
    VerificationAuditLog,
)
from consultations.services import verification as services
from consultations.tests.factories import add_weekly_hours, make_consultation, make_expert
from consultations.tests.verification_helpers import (
    PDF_BYTES,
    make_application,
    record_signals,
    upload,
)

# Uploads land in a per-test folder (consultations/tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_media")

APPLICATIONS = reverse("admin:consultations_expertapplication_changelist")
EXPERTS = reverse("admin:consultations_expert_changelist")


@pytest.fixture
def admin_user(make_user):
    return make_user(is_staff=True, is_superuser=True, first_name="Root")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def run_action(client, url: str, action: str, objs) -> list[str]:
    resp = client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objs]}, follow=True
    )
    assert resp.status_code == 200
    return [str(m) for m in resp.context["messages"]]


# --------------------------------------------------------------------------- registration


def test_every_consultations_model_is_registered_with_filters_and_search(admin_client, user):
    make_consultation()
    app = make_application(user)
    services.upload_verification_document(
        user=user, file=upload("cv.pdf", PDF_BYTES), document_type="education"
    )
    VerificationAuditLog.objects.create(application=app, to_status="pending")
    for model in apps.get_app_config("consultations").get_models():
        assert admin.site.is_registered(model), model
        model_admin = admin.site.get_model_admin(model)
        assert model_admin.list_filter, model
        assert model_admin.search_fields, model
        url = reverse(f"admin:consultations_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, model
        resp = admin_client.get(url, {"q": "zzz-no-match"})
        assert resp.status_code == 200, model
        assert resp.context["cl"].result_count == 0, model


def test_change_pages_render(admin_client, user):
    expert = make_expert()
    app = make_application(user)
    for url in (
        reverse("admin:consultations_expert_change", args=[expert.pk]),
        reverse("admin:consultations_expertapplication_change", args=[app.pk]),
    ):
        assert admin_client.get(url).status_code == 200


def test_application_page_shows_documents_inline_via_authorised_link(admin_client, user):
    app = make_application(user)
    doc = services.upload_verification_document(
        user=user, file=upload("cv.pdf", PDF_BYTES), document_type="education"
    )
    resp = admin_client.get(reverse("admin:consultations_expertapplication_change", args=[app.pk]))
    html = resp.content.decode()
    assert reverse("expert-document-file", args=[doc.pk]) in html
    assert "cv.pdf" in html
    assert doc.file.name not in html  # the storage path / media URL never shows
    # Verification statuses are not editable fields; only the actions change them.
    assert 'name="status"' not in html
    expert_page = admin_client.get(
        reverse("admin:consultations_expert_change", args=[make_expert().pk])
    ).content.decode()
    assert 'name="verification_status"' not in expert_page
    # The link works for the staff session.
    assert admin_client.get(reverse("expert-document-file", args=[doc.pk])).status_code == 200


def test_audit_log_is_read_only_in_admin(admin_client, user):
    entry = VerificationAuditLog.objects.create(
        application=make_application(user), to_status="pending"
    )
    assert (
        admin_client.get(reverse("admin:consultations_verificationauditlog_add")).status_code == 403
    )
    resp = admin_client.post(
        reverse("admin:consultations_verificationauditlog_delete", args=[entry.pk]),
        {"post": "yes"},
    )
    assert resp.status_code == 403
    assert VerificationAuditLog.objects.filter(pk=entry.pk).exists()


# --------------------------------------------------------------------------- application actions


def test_bulk_approve_goes_through_the_service(
    admin_client, admin_user, make_user, django_capture_on_commit_callbacks
):
    apps_ = [make_application(make_user(first_name=f"A{i}")) for i in range(2)]
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True):
        messages = run_action(admin_client, APPLICATIONS, "approve_selected", apps_)
    assert any(
        m.startswith("Approved (2): ") and "A0" in m and "A1" in m and "notified" in m
        for m in messages
    ), messages
    for app in apps_:
        app.refresh_from_db()
        assert app.status == "approved" and app.reviewer == admin_user
        assert Expert.objects.get(user=app.applicant).is_verified
        assert app.audit_log.filter(actor=admin_user, to_status="approved").count() == 2
    assert sorted((n, kw["decision"]) for n, kw in calls) == [
        ("reviewed", "approve"),
        ("reviewed", "approve"),
    ]


def test_bulk_approve_reports_refusals_and_leaves_them_unchanged(admin_client, make_user):
    done = make_application(make_user(), status="approved", review_notes="old")
    fresh = make_application(make_user())
    messages = run_action(admin_client, APPLICATIONS, "approve_selected", [done, fresh])
    assert any(m.startswith("Approved (1):") for m in messages), messages
    assert any(m.startswith("Not changed:") and "already approved" in m for m in messages)
    done.refresh_from_db()
    assert done.review_notes == "old" and done.reviewer is None
    assert not done.audit_log.exists()
    fresh.refresh_from_db()
    assert fresh.status == "approved"


def test_bulk_reject(admin_client, admin_user, user, django_capture_on_commit_callbacks):
    app = make_application(user)
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, APPLICATIONS, "reject_selected", [app])
    app.refresh_from_db()
    assert app.status == "rejected" and app.review_notes
    assert not Expert.objects.filter(user=user).exists()
    entry = app.audit_log.get(to_status="rejected")
    assert entry.actor == admin_user and entry.from_status == "pending"
    assert [(n, kw["decision"]) for n, kw in calls] == [("reviewed", "reject")]


def test_mark_under_review_action(admin_client, user):
    app = make_application(user)
    run_action(admin_client, APPLICATIONS, "mark_under_review", [app])
    app.refresh_from_db()
    assert app.status == "under_review"
    assert app.audit_log.filter(from_status="pending", to_status="under_review").exists()


def test_view_only_staff_cannot_run_actions(client, make_user, user):
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_expertapplication"),
        Permission.objects.get(codename="view_expert"),
    )
    client.force_login(viewer)
    app = make_application(user)
    assert client.get(APPLICATIONS).status_code == 200
    client.post(APPLICATIONS, {"action": "approve_selected", "_selected_action": [app.pk]})
    app.refresh_from_db()
    assert app.status == "pending"
    expert = make_expert()
    client.post(EXPERTS, {"action": "suspend_selected", "_selected_action": [expert.pk]})
    expert.refresh_from_db()
    assert expert.verification_status == "approved"


# --------------------------------------------------------------------------- expert actions


def test_bulk_suspend_and_reinstate(
    admin_client, admin_user, api_client, django_capture_on_commit_callbacks
):
    a, b = add_weekly_hours(make_expert()), add_weekly_hours(make_expert())
    public = reverse("expert-list")
    with record_signals() as calls, django_capture_on_commit_callbacks(execute=True):
        messages = run_action(admin_client, EXPERTS, "suspend_selected", [a, b])
    assert any(m.startswith("Suspended (2):") and "hidden" in m for m in messages), messages
    assert api_client.get(public).json()["count"] == 0
    assert [(n, kw["new_status"], kw["actor"]) for n, kw in calls] == [
        ("expert_status", "suspended", admin_user),
        ("expert_status", "suspended", admin_user),
    ]
    for e in (a, b):
        assert e.audit_log.get().to_status == "suspended"

    # Suspending again is refused per row and changes nothing.
    messages = run_action(admin_client, EXPERTS, "suspend_selected", [a])
    assert any("Cannot suspend" in m for m in messages)
    assert a.audit_log.count() == 1

    run_action(admin_client, EXPERTS, "reinstate_selected", [a])
    a.refresh_from_db()
    assert a.verification_status == "approved"
    assert [e["id"] for e in api_client.get(public).json()["results"]] == [a.pk]


def test_document_admin_has_no_upload_and_links_to_authorised_view(admin_client, user):
    make_application(user)
    doc = services.upload_verification_document(
        user=user, file=upload("id.pdf", PDF_BYTES), document_type="id"
    )
    add_url = reverse("admin:consultations_expertverificationdocument_add")
    assert admin_client.get(add_url).status_code == 403
    change = admin_client.get(
        reverse("admin:consultations_expertverificationdocument_change", args=[doc.pk])
    ).content.decode()
    assert reverse("expert-document-file", args=[doc.pk]) in change
    assert doc.file.name not in change
    assert ExpertVerificationDocument.objects.count() == 1


# --------------------------------------------------------------------------- reviews


@pytest.mark.django_db
def test_staff_hide_and_restore_a_review_in_the_admin(admin_client, admin_user):
    from consultations.models import BookingAuditLog, Consultation
    from consultations.services import reviews

    c = make_consultation(status=Consultation.Status.COMPLETED)
    review = reviews.post_review(consultation_id=c.pk, actor=c.user, rating=1, text="Spam")
    url = reverse("admin:consultations_review_change", args=[review.pk])
    assert admin_client.get(url).status_code == 200
    resp = admin_client.post(url, {"hide_with_reason": "Advertising", "restore": ""})
    assert resp.status_code == 302
    review.refresh_from_db()
    c.expert.refresh_from_db()
    assert review.is_hidden and review.hidden_by == admin_user
    assert review.hidden_reason == "Advertising" and review.text == "Spam"
    assert c.expert.review_count == 0
    assert BookingAuditLog.objects.filter(action="review_hidden", actor=admin_user).exists()

    changelist = reverse("admin:consultations_review_changelist")
    admin_client.post(changelist, {"action": "restore_selected", "_selected_action": [review.pk]})
    review.refresh_from_db()
    c.expert.refresh_from_db()
    assert not review.is_hidden and c.expert.review_count == 1
    # No add or delete: a review leaves only by being hidden.
    assert admin_client.get(reverse("admin:consultations_review_add")).status_code == 403
