from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from accounts.models import ApiToken, Profile, hash_key
from accounts.selectors import is_known_zone
from project.api_errors import ServiceError

PROFILE_FIELDS = (
    "display_name",
    "timezone",
    "time_format",
    "currency",
    "phone",
    "email_booking",
    "email_reminder",
    "email_chat",
)
EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 24 * 3600


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_zone(zone: str) -> str:
    zone = (zone or "").strip()
    if zone and not is_known_zone(zone):
        raise ServiceError(
            f"'{zone}' is not a known IANA time zone (e.g. 'Europe/Paris').",
            field="timezone",
            code="unknown_timezone",
        )
    return zone


def _check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    known = {c.upper() for c in settings.CURRENCY_RATES} | {settings.CURRENCY_BASE.upper()}
    if code and code not in known:
        raise ServiceError(
            f"'{code}' cannot be shown; use one of {', '.join(sorted(known))}.",
            field="currency",
            code="unsupported_currency",
        )
    return code


def _validate_password(password: str, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except Exception as exc:  # django ValidationError -> field error
        messages = getattr(exc, "messages", [str(exc)])
        raise ServiceError(" ".join(messages), field=field, code="weak_password") from exc


@transaction.atomic
def register_user(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    timezone: str = "",
    time_format: str = "",
) -> User:
    email = _normalise_email(email)
    zone = _check_zone(timezone)
    if User.objects.filter(username__iexact=email).exists():
        raise ServiceError(
            "An account with this email already exists.", field="email", code="duplicate"
        )
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()  # accounts.receivers creates the Profile
    profile = user.profile
    profile.timezone = zone
    profile.time_format = time_format or Profile.TimeFormat.H24
    profile.save(update_fields=["timezone", "time_format", "updated_at"])
    return user


def issue_token(user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    key: str = token.key
    return key


# --------------------------------------------------------------------------- profile


@transaction.atomic
def update_profile(*, user: User, **changes: Any) -> Profile:
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    if "timezone" in changes:
        changes["timezone"] = _check_zone(changes["timezone"])
    if "currency" in changes:
        changes["currency"] = _check_currency(changes["currency"])
    for field in PROFILE_FIELDS:
        if field in changes:
            setattr(profile, field, changes[field])
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


# --------------------------------------------------------------------------- revocation


def revoke_tokens(user: User) -> None:
    """Every API token dies. Other sessions need no scan: Django stores a hash of the
    password in each session and signs out any session whose hash no longer matches
    (the caller's own session is kept with update_session_auth_hash in the view)."""
    Token.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()


# --------------------------------------------------------------------------- passwords


@transaction.atomic
def change_password(*, user: User, current_password: str, new_password: str) -> User:
    if not user.check_password(current_password):
        raise ServiceError(
            "Your current password is wrong.", field="current_password", code="wrong_password"
        )
    _validate_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user)
    return user


def password_reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.SITE_URL.rstrip('/')}/reset-password?uid={uid}&token={token}"


def request_password_reset(*, email: str) -> None:
    """Queue a reset email if an active account has this email; say nothing either way."""
    from accounts.tasks import send_password_reset_email

    user = User.objects.filter(email__iexact=_normalise_email(email), is_active=True).first()
    if user is not None and user.has_usable_password():
        transaction.on_commit(lambda: send_password_reset_email.delay(user.pk), robust=True)


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@transaction.atomic
def reset_password(*, uid: str, token: str, new_password: str) -> User:
    """Single use and expiring: Django's token hashes the password and the last login, so
    it dies once used, and after PASSWORD_RESET_TIMEOUT."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ServiceError(
            "This reset link is invalid or has expired. Ask for a new one.",
            field="token",
            code="invalid_token",
        )
    _validate_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_tokens(user)
    return user


# --------------------------------------------------------------------------- email change


def request_email_change(*, user: User, new_email: str, password: str) -> str:
    """Check, then queue a confirmation link to the NEW address. Returns the signed token."""
    from accounts.tasks import send_email_change_confirmation

    if not user.check_password(password):
        raise ServiceError("Your password is wrong.", field="password", code="wrong_password")
    new_email = _normalise_email(new_email)
    if new_email == user.email.lower():
        raise ServiceError("That is already your email.", field="new_email", code="unchanged")
    if User.objects.filter(username__iexact=new_email).exclude(pk=user.pk).exists():
        raise ServiceError(
            "An account with this email already exists.", field="new_email", code="duplicate"
        )
    # Bound to the current email: once the change is made, the same link is dead.
    token = signing.dumps(
        {"user": user.pk, "old": user.email.lower(), "new": new_email}, salt=EMAIL_CHANGE_SALT
    )
    transaction.on_commit(
        lambda: send_email_change_confirmation.delay(user.pk, new_email, token), robust=True
    )
    return token


def email_change_link(token: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/account/confirm-email?token={token}"


@transaction.atomic
def confirm_email_change(*, token: str) -> User:
    invalid = ServiceError(
        "This confirmation link is invalid or has expired.", field="token", code="invalid_token"
    )
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature as exc:
        raise invalid from exc
    user = User.objects.select_for_update().filter(pk=data.get("user"), is_active=True).first()
    if user is None or user.email.lower() != data.get("old"):
        raise invalid
    new_email = data["new"]
    if User.objects.filter(username__iexact=new_email).exclude(pk=user.pk).exists():
        raise ServiceError(
            "An account with this email already exists.", field="token", code="duplicate"
        )
    user.email = user.username = new_email
    user.save(update_fields=["email", "username"])
    return user


# --------------------------------------------------------------------------- API tokens


def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the key is returned once and only its hash is stored."""
    name = name.strip()
    if not name:
        raise ServiceError("Give the token a name.", field="name", code="required")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_key(key), key_prefix=key[:8]
    )
    return token, key


def revoke_api_token(*, user: User, token_id: int) -> None:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ServiceError("No such token.", field="id", code="not_found", status_code=404)
