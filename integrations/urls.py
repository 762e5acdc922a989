"""Paths under /api/v1/integrations/."""

from django.urls import path

from integrations import views

urlpatterns = [
    path("calendar-feed/", views.CalendarFeedView.as_view(), name="calendar-feed"),
    path(
        "calendar-feed/regenerate/",
        views.CalendarFeedRegenerateView.as_view(),
        name="calendar-feed-regenerate",
    ),
    path("calendar.ics", views.CalendarFeedIcsView.as_view(), name="calendar-feed-ics"),
    path("calendars/", views.ExternalCalendarListView.as_view(), name="external-calendars"),
    path(
        "calendars/<int:pk>/",
        views.ExternalCalendarDetailView.as_view(),
        name="external-calendar-detail",
    ),
    path(
        "calendars/<int:pk>/sync/",
        views.ExternalCalendarSyncView.as_view(),
        name="external-calendar-sync",
    ),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/replay/",
        views.WebhookReplayView.as_view(),
        name="webhook-replay",
    ),
]
