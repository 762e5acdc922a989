from django.urls import path

from consultations.views.reviews import ExpertReviewsView, HideReviewView, PostReviewView, ReplyView

urlpatterns: list = [
    path("experts/<int:pk>/reviews/", ExpertReviewsView.as_view(), name="expert-reviews"),
    path("consultations/<int:pk>/review/", PostReviewView.as_view(), name="consultation-review"),
    path("reviews/<int:pk>/reply/", ReplyView.as_view(), name="review-reply"),
    path("reviews/<int:pk>/hide/", HideReviewView.as_view(), name="review-hide"),
]
