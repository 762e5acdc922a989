"""Cancellation policy JSON: the expert's choice, a booking's snapshot, refusals, ledger."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from consultations import policies
from consultations.models import LedgerEntry
from project.reused_fields import ReusedFieldsMixin


class RefundTierSerializer(serializers.Serializer):
    notice_hours = serializers.IntegerField()
    refund_percent = serializers.IntegerField()


class PolicySnapshotSerializer(serializers.Serializer):
    """A policy as copied onto a booking (or offered by an expert), with plain sentences."""

    template = serializers.CharField(help_text="flexible, moderate or strict.")
    label = serializers.CharField()  # type: ignore[assignment]  # a JSON key, not Field.label
    tiers = RefundTierSerializer(many=True)
    reschedule_cutoff_hours = serializers.IntegerField()
    max_reschedules = serializers.IntegerField()
    summary = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        snap = instance or policies.default_snapshot()
        return {
            "template": snap["template"],
            "label": snap["label"],
            "tiers": snap["tiers"],
            "reschedule_cutoff_hours": snap["reschedule_cutoff_hours"],
            "max_reschedules": snap["max_reschedules"],
            "summary": policies.describe(snap),
        }


class PolicyTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a JSON key, not Field.label
    tiers = RefundTierSerializer(many=True)
    summary = serializers.ListField(child=serializers.CharField())


class ExpertPolicySerializer(serializers.Serializer):
    """GET/PUT experts/me/policy/."""

    cancellation_policy = serializers.ChoiceField(
        choices=policies.TEMPLATE_CHOICES,
        help_text="flexible: full refund up to 24 h; moderate: full up to 48 h, 50 % up to "
        "24 h; strict: 50 % up to 7 days.",
    )
    reschedule_cutoff_hours = serializers.IntegerField(
        min_value=0,
        max_value=policies.MAX_RESCHEDULE_CUTOFF_HOURS,
        help_text="The client may move a booking until this many hours before it starts.",
    )
    max_reschedules = serializers.IntegerField(
        min_value=0,
        max_value=policies.MAX_MAX_RESCHEDULES,
        help_text="How often the client may move one booking (0: never).",
    )
    current = PolicySnapshotSerializer(read_only=True)
    templates = PolicyTemplateSerializer(many=True, read_only=True)


# The three below are built inside every consultation answer (a booking's among them), so
# their fields are built once per thread (project/reused_fields.py).
class RefundDeadlineSerializer(ReusedFieldsMixin, serializers.Serializer):
    until = serializers.DateTimeField()
    refund_percent = serializers.IntegerField()


class RefundQuoteSerializer(ReusedFieldsMixin, serializers.Serializer):
    percent = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    reason = serializers.CharField()


class RefusalSerializer(ReusedFieldsMixin, serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    cutoff_at = serializers.DateTimeField(allow_null=True)


# Fields built once per thread (project/reused_fields.py): every consultation answer (a
# booking's among them) lists its ledger through a fresh instance. (A comment, not a
# docstring: drf-spectacular publishes docstrings as the schema's description.)
class LedgerEntrySerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "currency", "reason", "created_at"]
        read_only_fields = fields


def templates_data() -> list[dict[str, Any]]:
    out = []
    for t in policies.TEMPLATES.values():
        snap = policies.make_snapshot(t.key)
        out.append(
            {
                "key": t.key,
                "label": t.label,
                "tiers": snap["tiers"],
                "summary": policies.describe(snap)[: len(t.tiers) + 1],
            }
        )
    return out
