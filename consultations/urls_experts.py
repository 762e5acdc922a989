from django.urls import path

from consultations.views.expert_profile import (
    ExpertPhotoFileView,
    MyExpertPhotoView,
    MyExpertProfileView,
)
from consultations.views.experts import CurrenciesView, ExpertDetailView, ExpertListView
from consultations.views.ledger import MyEarningsView, MyLedgerCsvView
from consultations.views.policies import MyPolicyView

urlpatterns: list = [
    path("experts/", ExpertListView.as_view(), name="expert-list"),
    path("experts/currencies/", CurrenciesView.as_view(), name="expert-currencies"),
    path("experts/me/", MyExpertProfileView.as_view(), name="expert-me"),
    path("experts/me/photo/", MyExpertPhotoView.as_view(), name="expert-me-photo"),
    path("experts/photos/<str:name>", ExpertPhotoFileView.as_view(), name="expert-photo"),
    path("experts/me/policy/", MyPolicyView.as_view(), name="expert-me-policy"),
    path("experts/me/earnings/", MyEarningsView.as_view(), name="expert-me-earnings"),
    path("experts/me/ledger.csv", MyLedgerCsvView.as_view(), name="expert-me-ledger-csv"),
    path("experts/<int:pk>/", ExpertDetailView.as_view(), name="expert-detail"),
]
