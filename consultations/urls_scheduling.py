from django.urls import path

from consultations.views.scheduling import (
    AvailabilityUpdateView,
    DateOverrideDetailView,
    DateOverrideListView,
    ExpertAvailabilityView,
    ExpertTimeSlotsView,
    SchedulingSettingsView,
    UnavailabilityDetailView,
    UnavailabilityListView,
)

urlpatterns: list = [
    path(
        "experts/<int:pk>/availability/",
        ExpertAvailabilityView.as_view(),
        name="expert-availability",
    ),
    path("experts/<int:pk>/time-slots/", ExpertTimeSlotsView.as_view(), name="expert-time-slots"),
    path(
        "experts/availability/update/",
        AvailabilityUpdateView.as_view(),
        name="expert-availability-update",
    ),
    path(
        "experts/availability/settings/",
        SchedulingSettingsView.as_view(),
        name="expert-scheduling-settings",
    ),
    path(
        "experts/availability/blocks/",
        UnavailabilityListView.as_view(),
        name="expert-unavailability-list",
    ),
    path(
        "experts/availability/blocks/<int:pk>/",
        UnavailabilityDetailView.as_view(),
        name="expert-unavailability-detail",
    ),
    path(
        "experts/availability/overrides/",
        DateOverrideListView.as_view(),
        name="expert-date-override-list",
    ),
    path(
        "experts/availability/overrides/<str:day>/",
        DateOverrideDetailView.as_view(),
        name="expert-date-override-detail",
    ),
]
