from django.urls import path

from consultations.views import verification as views

urlpatterns: list = [
    path("experts/apply/", views.ApplyView.as_view(), name="expert-apply"),
    path(
        "experts/my-application/", views.MyApplicationView.as_view(), name="expert-my-application"
    ),
    path(
        "experts/upload-document/",
        views.UploadDocumentView.as_view(),
        name="expert-upload-document",
    ),
    path(
        "experts/verification-status/",
        views.VerificationStatusView.as_view(),
        name="expert-verification-status",
    ),
    path(
        "experts/documents/<int:pk>/file/",
        views.DocumentFileView.as_view(),
        name="expert-document-file",
    ),
    path(
        "admin/applications/",
        views.AdminApplicationListView.as_view(),
        name="admin-application-list",
    ),
    path(
        "admin/applications/<int:pk>/review/",
        views.AdminApplicationReviewView.as_view(),
        name="admin-application-review",
    ),
]
