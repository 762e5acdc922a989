from django.urls import path

from consultations.views.expert_profile import MyExpertProfileView
from consultations.views.experts import ExpertDetailView, ExpertListView
from consultations.views.policies import MyPolicyView

urlpatterns: list = [
    path("experts/", ExpertListView.as_view(), name="expert-list"),
    path("experts/me/", MyExpertProfileView.as_view(), name="expert-me"),
    path("experts/me/policy/", MyPolicyView.as_view(), name="expert-me-policy"),
    path("experts/<int:pk>/", ExpertDetailView.as_view(), name="expert-detail"),
]
