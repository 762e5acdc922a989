from __future__ import annotations

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.cache import cache
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiToken, Profile
from accounts.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    AuthResultSerializer,
    DetailSerializer,
    EmailChangeSerializer,
    EmailConfirmSerializer,
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileSerializer,
    RegisterSerializer,
    SessionSerializer,
    TokenResultSerializer,
)
from project import throttling
from project.api_errors import ServiceError
from project.api_schema import error_response
from project.auth import request_user
from project.csrf import CsrfForBrowsers

AUTH_ERRORS = {
    400: error_response("Invalid input or wrong credentials; the field is named."),
    403: error_response("A browser request without a valid CSRF token."),
    429: error_response("Too many attempts from this address or for this account."),
}


class AuthThrottle(throttling.ClientAddressThrottle):
    scope = "auth"


class PasswordResetThrottle(throttling.ClientAddressThrottle):
    """Per real client address (project.client_ip, TRUSTED_PROXIES respected), signed in or
    not: the reset form is public, so a signed-in caller is counted by address as well."""

    scope = "password_reset"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# One reset email per address per this many seconds, whoever asks; later asks get the same
# answer and send nothing (so the form cannot be used to flood someone's inbox).
RESET_EMAIL_EVERY_SECONDS = 5 * 60
RESET_ANSWER = (
    "If an account uses this email, we sent it a link to choose a new password. "
    "Check your inbox (and spam folder)."
)


class RegisterView(APIView):
    permission_classes = [AllowAny, CsrfForBrowsers]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: AuthResultSerializer, **AUTH_ERRORS})
    def post(self, request: Request) -> Response:
        ser = RegisterSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = services.register_user(**ser.validated_data)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        body = {"user": MeSerializer(user).data, "token": services.issue_token(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny, CsrfForBrowsers]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=LoginSerializer, responses={200: AuthResultSerializer, **AUTH_ERRORS})
    def post(self, request: Request) -> Response:
        ser = LoginSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        email = ser.validated_data["email"].strip().lower()
        throttling.check_login_allowed(email)  # per account, whatever the address
        user = authenticate(
            request._request, username=email, password=ser.validated_data["password"]
        )
        if user is None:
            throttling.record_login_failure(email)
            raise ServiceError(
                "Email or password is wrong.", field="password", code="invalid_credentials"
            )
        throttling.clear_login_failures(email)
        login(request._request, user)
        return Response({"user": MeSerializer(user).data, "token": services.issue_token(user)})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class SessionView(APIView):
    """Who is signed in, answered with 200 for everyone.

    The browser app asks this on every page load; /me/ answers anonymous visitors with 403,
    which browsers log as a console error on every public page.
    """

    permission_classes = [AllowAny]

    # Also hands out the CSRF cookie, for pages not served by spa_index (the Vite dev server).
    @method_decorator(ensure_csrf_cookie)
    @extend_schema(responses=SessionSerializer)
    def get(self, request: Request) -> Response:
        user = request.user if request.user.is_authenticated else None
        return Response(
            {"authenticated": user is not None, "user": MeSerializer(user).data if user else None}
        )


class ProfileView(APIView):
    """The signed-in person's settings: name, time zone, 12/24 h, phone, email preferences."""

    permission_classes = [IsAuthenticated]

    def _profile(self, request: Request) -> Profile:
        profile, _ = Profile.objects.select_related("user").get_or_create(
            user=request_user(request)
        )
        return profile

    @extend_schema(responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(self._profile(request)).data)

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer)
    def patch(self, request: Request) -> Response:
        ser = ProfileSerializer(self._profile(request), data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        profile = services.update_profile(user=request_user(request), **ser.validated_data)
        return Response(ProfileSerializer(profile).data)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=PasswordChangeSerializer, responses=TokenResultSerializer)
    def post(self, request: Request) -> Response:
        ser = PasswordChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = services.change_password(user=request_user(request), **ser.validated_data)
        if request._request.user.is_authenticated:  # keep THIS browser signed in
            update_session_auth_hash(request._request, user)
        return Response(
            {
                "detail": "Password changed. Every other session and API token was signed out.",
                "token": services.issue_token(user),
            }
        )


class PasswordResetRequestView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(request=PasswordResetRequestSerializer, responses=DetailSerializer)
    def post(self, request: Request) -> Response:
        ser = PasswordResetRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        email = ser.validated_data["email"].strip().lower()
        if cache.add(f"accounts:reset-sent:{email}", 1, RESET_EMAIL_EVERY_SECONDS):
            services.request_password_reset(email=email)
        return Response({"detail": RESET_ANSWER})


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(request=PasswordResetConfirmSerializer, responses=DetailSerializer)
    def post(self, request: Request) -> Response:
        ser = PasswordResetConfirmSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.reset_password(**ser.validated_data)
        return Response({"detail": "Password changed. Sign in with the new one."})


class EmailChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=EmailChangeSerializer, responses={202: DetailSerializer})
    def post(self, request: Request) -> Response:
        ser = EmailChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.request_email_change(user=request_user(request), **ser.validated_data)
        new_email = ser.validated_data["new_email"].strip().lower()
        return Response(
            {"detail": f"We sent a link to {new_email}. Your email changes once you open it."},
            status=status.HTTP_202_ACCEPTED,
        )


class EmailConfirmView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=EmailConfirmSerializer, responses=DetailSerializer)
    def post(self, request: Request) -> Response:
        ser = EmailConfirmSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = services.confirm_email_change(**ser.validated_data)
        return Response({"detail": f"Your email is now {user.email}."})


class ApiTokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=request_user(request))
        return Response(ApiTokenSerializer(tokens, many=True).data)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request: Request) -> Response:
        ser = ApiTokenCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        token, key = services.create_api_token(user=request_user(request), **ser.validated_data)
        body = {**ApiTokenSerializer(token).data, "key": key}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.revoke_api_token(user=request_user(request), token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
