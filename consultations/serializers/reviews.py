"""Review JSON: on the expert's profile and on the reviewed consultation."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from consultations.models import Review
from consultations.services.reviews import author_display_name


class ReviewSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField(help_text='e.g. "Cleo C."')
    is_hidden = serializers.BooleanField(read_only=True)
    hidden_reason = serializers.SerializerMethodField(
        help_text="Why staff hid it; only staff, the author and the expert see it."
    )
    can_reply = serializers.SerializerMethodField(help_text="The viewer is the reviewed expert.")
    can_hide = serializers.SerializerMethodField(help_text="The viewer is staff.")

    class Meta:
        model = Review
        fields = [
            "id",
            "consultation_id",
            "expert_id",
            "rating",
            "text",
            "created_at",
            "author_name",
            "reply",
            "replied_at",
            "reply_edited_at",
            "is_hidden",
            "hidden_at",
            "hidden_reason",
            "can_reply",
            "can_hide",
        ]
        read_only_fields = fields

    def _viewer(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_author_name(self, obj: Review) -> str:
        return author_display_name(obj.author)

    def get_hidden_reason(self, obj: Review) -> str:
        viewer = self._viewer()
        if viewer is None or not viewer.is_authenticated:
            return ""
        if viewer.is_staff or viewer.pk in (obj.author_id, obj.expert.user_id):
            return obj.hidden_reason
        return ""

    def get_can_reply(self, obj: Review) -> bool:
        viewer = self._viewer()
        return bool(viewer and viewer.is_authenticated and viewer.pk == obj.expert.user_id)

    def get_can_hide(self, obj: Review) -> bool:
        viewer = self._viewer()
        return bool(viewer and viewer.is_authenticated and viewer.is_staff)


class ReviewRequestSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReplyRequestSerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=2000, help_text="Shown under the review, publicly.")


class HideRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Kept in the audit log.")


class RestoreRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
