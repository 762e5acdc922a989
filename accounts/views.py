from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    AuthResultSerializer,
    LoginSerializer,
    MeSerializer,
    RegisterSerializer,
    SessionSerializer,
)
from project.api_errors import ServiceError


class AuthThrottle(AnonRateThrottle):
    scope = "auth"


class RegisterView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: AuthResultSerializer})
    def post(self, request: Request) -> Response:
        ser = RegisterSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = services.register_user(**ser.validated_data)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        body = {"user": MeSerializer(user).data, "token": services.issue_token(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=LoginSerializer, responses={200: AuthResultSerializer})
    def post(self, request: Request) -> Response:
        ser = LoginSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=ser.validated_data["email"].strip().lower(),
            password=ser.validated_data["password"],
        )
        if user is None:
            raise ServiceError(
                "Email or password is wrong.", field="password", code="invalid_credentials"
            )
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
