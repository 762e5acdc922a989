from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers meeting.presence (call attendance) with the /ws/ consumer.
        from consultations import socket_handlers  # noqa: F401
        from consultations.expert_list_cache import connect_signals

        connect_signals()
