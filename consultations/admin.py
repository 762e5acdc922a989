"""Django admin for every consultations model.

Status changes never happen by editing a field here: the verification statuses are
read-only and the bulk actions call consultations.services.verification, so the admin
writes the same audit log, live events and notification signals as the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from consultations.models import (
    AttendanceInterval,
    Consultation,
    ConsultationReminder,
    Expert,
    ExpertApplication,
    ExpertAvailability,
    ExpertiseArea,
    ExpertReliability,
    ExpertUnavailability,
    ExpertVerificationDocument,
    IdempotencyKey,
    Language,
    Review,
    VerificationAuditLog,
)
from consultations.services import reviews as review_services
from consultations.services import verification as services
from project.api_errors import ServiceError
from project.auth import request_user

admin.site.site_header = "Consult administration"
admin.site.site_title = "Consult admin"
admin.site.index_title = "Experts, bookings and messages"


def _document_link(document: ExpertVerificationDocument) -> str:
    if not document.pk:
        return "-"
    url = reverse("expert-document-file", args=[document.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, "Download")


def _run_bulk(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    action: Callable[[Any], Any],
    done: str,
    *,
    name: Callable[[Any], str] = str,
    outcome: str = "",
) -> None:
    """Apply a service call to each row; one refusal does not undo the others.

    The message says what happened to whom and what follows from it, so staff do not have
    to open each row to check.
    """
    names, refused = [], []
    for obj in queryset:
        try:
            action(obj)
        except ServiceError as exc:
            refused.append(f"Not changed: {name(obj)}: {exc.message}")
        else:
            names.append(name(obj))
    if names:
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        text = f"{done} ({len(names)}): {shown}." + (f" {outcome}" if outcome else "")
        modeladmin.message_user(request, text, messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)


def _applicant(app: ExpertApplication) -> str:
    return app.applicant.get_full_name() or app.applicant.email


# --------------------------------------------------------------------------- verification


class DocumentInline(admin.TabularInline):
    model = ExpertVerificationDocument
    extra = 0
    can_delete = False
    # `file` is left out on purpose: its widget would print a (non-public) media URL.
    fields = [
        "document_type",
        "original_name",
        "content_type",
        "size",
        "download",
        "status",
        "reviewer_notes",
        "uploaded_at",
    ]
    readonly_fields = [
        "document_type",
        "original_name",
        "content_type",
        "size",
        "download",
        "uploaded_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # uploads go through the API, which sniffs the content

    @admin.display(description="File")
    def download(self, obj: ExpertVerificationDocument) -> str:
        return _document_link(obj)


class _AuditInline(admin.TabularInline):
    """The audit log is append-only: shown inline, never added or edited by hand."""

    model = VerificationAuditLog
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "from_status", "to_status", "note")
    readonly_fields = ("created_at", "actor", "from_status", "to_status", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApplicationAuditInline(_AuditInline):
    fk_name = "application"


@admin.register(ExpertApplication)
class ExpertApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "applicant", "status", "headline", "submitted_at", "reviewer"]
    list_filter = ["status", "submitted_at", "reviewed_at"]
    search_fields = [
        "applicant__email",
        "applicant__first_name",
        "applicant__last_name",
        "headline",
        "expertise",
    ]
    date_hierarchy = "submitted_at"
    list_select_related = ["applicant", "reviewer"]
    readonly_fields = ["applicant", "status", "reviewer", "reviewed_at", "submitted_at"]
    inlines = [DocumentInline, ApplicationAuditInline]
    actions = ["approve_selected", "reject_selected", "mark_under_review"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # users apply through the API

    @admin.action(description="Approve selected applications", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda app: services.review_application(
                application=app, reviewer=request_user(request), decision=services.Decision.APPROVE
            ),
            "Approved",
            name=_applicant,
            outcome=(
                "Each is now an expert and was notified by email and in the app; they are "
                "listed in the marketplace once they set weekly hours."
            ),
        )

    @admin.action(description="Reject selected applications", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda app: services.review_application(
                application=app,
                reviewer=request_user(request),
                decision=services.Decision.REJECT,
                notes="Rejected by an administrator.",
            ),
            "Rejected",
            name=_applicant,
            outcome="Each applicant was notified and may apply again.",
        )

    @admin.action(description="Mark selected applications as under review", permissions=["change"])
    def mark_under_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda app: services.mark_under_review(application=app, reviewer=request_user(request)),
            "Marked under review",
            name=_applicant,
            outcome="Applicants see that a reviewer has started.",
        )


@admin.register(ExpertVerificationDocument)
class ExpertVerificationDocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "application", "document_type", "original_name", "status", "download"]
    list_filter = ["document_type", "status", "content_type"]
    search_fields = ["original_name", "application__applicant__email"]
    list_select_related = ["application"]
    exclude = ["file"]
    readonly_fields = [
        "application",
        "document_type",
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
        "download",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="File")
    def download(self, obj: ExpertVerificationDocument) -> str:
        return _document_link(obj)


@admin.register(VerificationAuditLog)
class VerificationAuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "application", "expert", "actor", "from_status", "to_status"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["note", "actor__email", "expert__name", "application__applicant__email"]
    list_select_related = ["application", "expert", "actor"]
    date_hierarchy = "created_at"

    # The audit trail is append-only, written by the services.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --------------------------------------------------------------------------- experts


class AvailabilityInline(admin.TabularInline):
    model = ExpertAvailability
    extra = 0


class ExpertAuditInline(_AuditInline):
    fk_name = "expert"


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "user",
        "verification_status",
        "hourly_rate",
        "currency",
        "average_rating",
        "review_count",
        "next_available_at",
    ]
    list_filter = ["verification_status", "currency", "expertise_areas", "languages"]
    search_fields = ["name", "headline", "user__email", "expertise_areas__name"]
    list_select_related = ["user"]
    autocomplete_fields = ["expertise_areas", "languages"]
    raw_id_fields = ["user"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [AvailabilityInline, ExpertAuditInline]
    actions = ["suspend_selected", "reinstate_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Expert | None = None) -> list[str]:
        fields = ["verified_at", "verification_submitted_at", "next_available_at", "created_at"]
        if obj is not None:
            # Status changes go through the actions so they are audited and notified.
            fields.append("verification_status")
        return fields

    @admin.action(description="Suspend selected experts", permissions=["change"])
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda expert: services.suspend_expert(
                expert=expert, actor=request_user(request), note="Suspended by an administrator."
            ),
            "Suspended",
            outcome="They are hidden from the marketplace and cannot take new bookings.",
        )

    @admin.action(description="Reinstate selected experts", permissions=["change"])
    def reinstate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda expert: services.reinstate_expert(
                expert=expert, actor=request_user(request), note="Reinstated by an administrator."
            ),
            "Reinstated",
            outcome="They are listed again once bookable and can take bookings.",
        )


class UsedByApprovedExpertsFilter(admin.SimpleListFilter):
    """For lookup tables: which rows the public list actually shows."""

    title = "used by approved experts"
    parameter_name = "in_use"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        approved = queryset.filter(
            experts__verification_status=Expert.VerificationStatus.APPROVED
        ).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=approved)
        if self.value() == "no":
            return queryset.exclude(pk__in=approved)
        return queryset


@admin.register(ExpertiseArea)
class ExpertiseAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    list_filter = [UsedByApprovedExpertsFilter]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    list_filter = [UsedByApprovedExpertsFilter]
    search_fields = ["code", "name"]


@admin.register(ExpertAvailability)
class ExpertAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["expert", "weekday", "start_time", "end_time"]
    list_filter = ["weekday"]
    search_fields = ["expert__name"]
    list_select_related = ["expert"]


@admin.register(ExpertUnavailability)
class ExpertUnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["expert", "kind", "start_at", "end_at", "reason"]
    list_filter = ["kind", "start_at"]
    search_fields = ["expert__name", "reason"]
    list_select_related = ["expert"]


class AttendanceInline(admin.TabularInline):
    """What the call page reported: staff see who was in the call and when."""

    model = AttendanceInterval
    extra = 0
    can_delete = False
    fields = ("role", "user", "joined_at", "left_at", "closed_by")
    readonly_fields = ("role", "user", "joined_at", "left_at", "closed_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    inlines = [AttendanceInline]
    readonly_fields = ["minutes_both_present"]
    list_display = ["id", "expert", "user", "when", "status", "payment_status", "price"]
    list_filter = ["status", "payment_status", "start_at"]
    search_fields = ["topic", "user__email", "expert__name", "meeting_room_id"]
    list_select_related = ["expert", "user"]
    raw_id_fields = ["user", "expert", "cancelled_by", "rescheduled_from"]
    date_hierarchy = "start_at"

    @admin.display(description="When (your time zone)", ordering="start_at")
    def when(self, obj: Consultation) -> str:
        from django.utils import timezone

        from project.timefmt import format_span

        # accounts.middleware activated the staff member's own zone for the admin.
        return format_span(obj.start_at, obj.end_at, timezone.get_current_timezone_name())

    @admin.display(description="Minutes both were in the call")
    def minutes_both_present(self, obj: Consultation) -> str:
        from consultations.services.attendance import summary

        s = summary(obj)
        return f"{s['both_minutes']} (client {s['client_minutes']}, expert {s['expert_minutes']})"


class ReviewAdminForm(forms.ModelForm):
    """Staff never edit a review; they hide it (with a reason) or restore it, through the
    service, so the expert's average, the audit log and the live events follow."""

    hide_with_reason = forms.CharField(
        required=False,
        max_length=review_services.MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Fill in to hide this review from the profile and the average. "
        "The reason is kept in the audit log and shown to the client and the expert.",
    )
    restore = forms.BooleanField(required=False, help_text="Show this hidden review again.")

    class Meta:
        model = Review
        fields: list[str] = []


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    form = ReviewAdminForm
    list_display = ["id", "expert", "rating", "short_text", "created_at", "is_visible"]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter), "rating", "created_at"]
    search_fields = ["text", "reply", "expert__name", "author__email"]
    list_select_related = ["expert", "author"]
    readonly_fields = [
        "consultation",
        "expert",
        "author",
        "rating",
        "text",
        "created_at",
        "reply",
        "replied_at",
        "reply_edited_at",
        "hidden_at",
        "hidden_by",
        "hidden_reason",
    ]
    actions = ["restore_selected"]

    @admin.display(description="Text")
    def short_text(self, obj: Review) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    @admin.display(description="Visible", boolean=True)
    def is_visible(self, obj: Review) -> bool:
        return not obj.is_hidden

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Deleting would bypass the average; hiding is the way to take a review down.
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        reason = form.cleaned_data.get("hide_with_reason", "").strip()
        actor = request_user(request)
        try:
            if reason and not obj.is_hidden:
                review_services.hide_review(review_id=obj.pk, actor=actor, reason=reason)
            elif form.cleaned_data.get("restore") and obj.is_hidden:
                review_services.restore_review(review_id=obj.pk, actor=actor)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description="Restore selected hidden reviews", permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run_bulk(
            self,
            request,
            queryset,
            lambda review: review_services.restore_review(
                review_id=review.pk, actor=request_user(request)
            ),
            "Restored",
        )


@admin.register(ConsultationReminder)
class ConsultationReminderAdmin(admin.ModelAdmin):
    list_display = ["consultation", "kind", "scheduled_for", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status", "scheduled_for"]
    search_fields = ["consultation__topic", "consultation__user__email", "last_error"]
    list_select_related = ["consultation"]
    raw_id_fields = ["consultation"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "response_status", "created_at"]
    list_filter = ["response_status", "created_at"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]

    # Stored replies must stay exactly what was first sent.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExpertReliability)
class ExpertReliabilityAdmin(admin.ModelAdmin):
    list_display = [
        "expert",
        "computed_at",
        "median_first_response_seconds",
        "calls_on_time",
        "calls_measured",
        "late_cancellations",
        "expert_no_shows",
        "ranking_adjustment",
    ]
    list_filter = ["computed_at"]
    search_fields = ["expert__name", "expert__user__email"]
    list_select_related = ["expert"]

    # Figures are measured by the hourly task; an edit here would be overwritten and
    # would misstate the expert's record until then.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Models other areas add later still show up, with generic filters and search.
for _model in apps.get_app_config("consultations").get_models():
    if admin.site.is_registered(_model):
        continue
    _fields = [f for f in _model._meta.concrete_fields]
    _filters = [
        f.name
        for f in _fields
        if f.choices or f.get_internal_type() in ("BooleanField", "DateTimeField", "DateField")
    ][:5]
    _search = [
        f.name
        for f in _fields
        if f.get_internal_type() in ("CharField", "SlugField", "EmailField") and not f.choices
    ][:5]
    _display = ["__str__", *[f.name for f in _fields if f.name != "id"][:5]]
    admin.site.register(
        _model,
        type(
            f"{_model.__name__}Admin",
            (admin.ModelAdmin,),
            {"list_filter": _filters, "search_fields": _search, "list_display": _display},
        ),
    )
