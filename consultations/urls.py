"""Paths under /api/v1/consultations/, as in the seed. Each area keeps its own module."""

from django.urls import include, path

urlpatterns = [
    path("", include("consultations.urls_verification")),
    path("", include("consultations.urls_scheduling")),
    path("", include("consultations.urls_experts")),
    path("", include("consultations.urls_bookings")),
    path("", include("consultations.urls_reviews")),
    path("", include("consultations.urls_meetings")),
]
