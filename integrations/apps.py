from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Calendars and integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from consultations.services import scheduling
        from integrations import receivers
        from integrations.selectors import busy_intervals_for, busy_intervals_sql

        receivers.connect()
        # External calendar busy times count in slot computation and the booking check.
        scheduling.register_busy_source(busy_intervals_for, postgresql=busy_intervals_sql())
