from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers chat.send / chat.read / chat.typing / chat.resume with the /ws/ consumer.
        from chat import socket_handlers  # noqa: F401
