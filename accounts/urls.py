from django.urls import path

from accounts import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="auth-register"),
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="auth-me"),
    path("session/", views.SessionView.as_view(), name="auth-session"),
    path("profile/", views.ProfileView.as_view(), name="auth-profile"),
    path("password/change/", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("password/reset/", views.PasswordResetRequestView.as_view(), name="auth-password-reset"),
    path(
        "password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("email/change/", views.EmailChangeView.as_view(), name="auth-email-change"),
    path("email/confirm/", views.EmailConfirmView.as_view(), name="auth-email-confirm"),
    path("tokens/", views.ApiTokenListView.as_view(), name="auth-tokens"),
    path("tokens/<int:pk>/", views.ApiTokenDetailView.as_view(), name="auth-token-detail"),
]
