from django.urls import path

from consultations.views.bookings import (
    BookConsultationView,
    CancelConsultationView,
    ConfirmConsultationView,
    ConsultationDetailView,
    ExpertConsultationsView,
    ExpertDashboardView,
    PastConsultationsView,
    RateConsultationView,
    RescheduleConsultationView,
    UpcomingConsultationsView,
    WaivePolicyView,
)

urlpatterns: list = [
    path("consultations/book/", BookConsultationView.as_view(), name="consultation-book"),
    path(
        "consultations/upcoming/", UpcomingConsultationsView.as_view(), name="consultation-upcoming"
    ),
    path("consultations/past/", PastConsultationsView.as_view(), name="consultation-past"),
    path("consultations/<int:pk>/", ConsultationDetailView.as_view(), name="consultation-detail"),
    path(
        "consultations/<int:pk>/confirm/",
        ConfirmConsultationView.as_view(),
        name="consultation-confirm",
    ),
    path(
        "consultations/<int:pk>/cancel/",
        CancelConsultationView.as_view(),
        name="consultation-cancel",
    ),
    path(
        "consultations/<int:pk>/reschedule/",
        RescheduleConsultationView.as_view(),
        name="consultation-reschedule",
    ),
    path(
        "consultations/<int:pk>/waive-policy/",
        WaivePolicyView.as_view(),
        name="consultation-waive-policy",
    ),
    path("consultations/<int:pk>/rate/", RateConsultationView.as_view(), name="consultation-rate"),
    path("experts/consultations/", ExpertConsultationsView.as_view(), name="expert-consultations"),
    path("experts/dashboard/", ExpertDashboardView.as_view(), name="expert-dashboard"),
]
