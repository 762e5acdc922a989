"""Django admin: feeds, webhooks (with a replay action), the audit log (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import (
    AuditEntry,
    CalendarFeedToken,
    ExternalCalendarFeed,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.services import webhooks


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "expert", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["action", "target_id", "actor__email"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_polled_at"]
    exclude = ["token"]
    readonly_fields = ["user", "created_at", "last_polled_at"]


@admin.register(ExternalCalendarFeed)
class ExternalCalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "expert", "enabled", "status", "last_fetch_at", "busy_count"]
    list_filter = ["status", "enabled"]
    exclude = ["url"]  # a secret address
    readonly_fields = [
        "expert",
        "status",
        "last_fetch_at",
        "last_success_at",
        "last_error",
        "busy_count",
        "etag",
        "remote_last_modified",
    ]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "expert", "active", "created_at"]
    list_filter = ["active"]
    exclude = ["secret"]
    readonly_fields = ["owner", "expert"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["attempted_at", "status_code", "latency_ms", "response_excerpt", "error"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_latency_ms",
    ]
    list_filter = ["status", "event_type"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send again (replay)")
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset:
            webhooks.replay(request.user, delivery.pk, staff=True)  # type: ignore[arg-type]
            count += 1
        self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)
