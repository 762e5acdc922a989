from django.urls import path

from consultations.views.meetings import EndMeetingView, MeetingLinkView, StartMeetingView

urlpatterns = [
    path(
        "consultations/<int:pk>/meeting-link/",
        MeetingLinkView.as_view(),
        name="consultation-meeting-link",
    ),
    path(
        "consultations/<int:pk>/start/",
        StartMeetingView.as_view(),
        name="consultation-meeting-start",
    ),
    path(
        "consultations/<int:pk>/end/",
        EndMeetingView.as_view(),
        name="consultation-meeting-end",
    ),
]
