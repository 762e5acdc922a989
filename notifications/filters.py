from __future__ import annotations

import django_filters

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    # unread=true ⇔ read_at IS NULL.
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or only read (false)"
    )
    kind = django_filters.MultipleChoiceFilter(choices=Notification.Kind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
