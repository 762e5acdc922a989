"""Channel-layer group names. Every push goes to a user's group; each tab joins it."""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
