from django.urls import path

from consultations.views.experts import ExpertDetailView, ExpertListView

urlpatterns: list = [
    path("experts/", ExpertListView.as_view(), name="expert-list"),
    path("experts/<int:pk>/", ExpertDetailView.as_view(), name="expert-detail"),
]
