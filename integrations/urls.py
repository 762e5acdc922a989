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
]
