from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User


def user_roles(user: User) -> dict[str, Any]:
    """Roles come from data: expert = an approved Expert linked to the user; admin = staff."""
    from consultations.models import Expert

    expert = Expert.objects.filter(user=user).only("id", "verification_status").first()
    return {
        "is_expert": bool(expert and expert.is_verified),
        "expert_id": expert.id if expert else None,
        "expert_status": expert.verification_status if expert else None,
        "is_staff": user.is_staff,
    }
