from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from notifications.models import Notification
from project.reused_fields import ReusedFieldsMixin


# Fields built once per thread (project/reused_fields.py): building them per notification
# was about a tenth of a booking's follow-up CPU in the worker.
class NotificationSerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "url", "is_read", "read_at", "created_at"]
        read_only_fields = fields


# chat has an UnreadCount component too; one name for both would merge them in the schema.
@extend_schema_serializer(component_name="NotificationUnreadCount")
class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkAllReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications this call marked read.")
    unread_count = serializers.IntegerField()
