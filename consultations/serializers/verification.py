"""Input and output shapes of the verification workflow."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultations.models import Expert, ExpertApplication, ExpertVerificationDocument
from consultations.services.verification import Decision, normalise_language_code


class ExpertApplySerializer(serializers.Serializer):
    motivation = serializers.CharField(max_length=5000)
    expertise = serializers.CharField(max_length=5000, help_text="Free text: fields of expertise.")
    experience = serializers.CharField(max_length=10000)
    headline = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    expertise_areas = serializers.ListField(
        child=serializers.CharField(max_length=80), max_length=20, required=False, default=list
    )
    languages = serializers.ListField(
        child=serializers.RegexField(
            r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
            max_length=12,
            error_messages={"invalid": "Use a language code like 'en' or 'pt-BR'."},
        ),
        max_length=20,
        required=False,
        default=list,
    )
    hourly_rate = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, default=Decimal(0)
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        default="USD",
        error_messages={"invalid": "Use a three-letter ISO 4217 code such as USD."},
    )
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")

    def validate_timezone(self, value: str) -> str:
        if value not in available_timezones():
            raise serializers.ValidationError(f"'{value}' is not a known IANA time zone.")
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        return [normalise_language_code(v) for v in value]

    def validate_currency(self, value: str) -> str:
        return value.upper()


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="Authorised download; works only for the applicant and staff."
    )

    class Meta:
        model = ExpertVerificationDocument
        fields = [
            "id",
            "document_type",
            "original_name",
            "content_type",
            "size",
            "status",
            "reviewer_notes",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: ExpertVerificationDocument) -> str:
        return reverse("expert-document-file", args=[obj.pk])


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            "PDF, PNG or JPEG, checked by content; at most "
            f"{settings.VERIFICATION_UPLOAD_MAX_BYTES} bytes."
        ),
        allow_empty_file=True,  # the service answers an empty file with its own message
    )
    document_type = serializers.ChoiceField(choices=ExpertVerificationDocument.DocumentType.choices)


class ExpertApplicationSerializer(serializers.ModelSerializer):
    """The applicant's own view of an application."""

    documents = DocumentSerializer(many=True, read_only=True)
    expertise_areas = serializers.ListField(child=serializers.CharField(), read_only=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ExpertApplication
        fields = [
            "id",
            "status",
            "motivation",
            "expertise",
            "experience",
            "headline",
            "expertise_areas",
            "languages",
            "hourly_rate",
            "currency",
            "timezone",
            "review_notes",
            "submitted_at",
            "reviewed_at",
            "updated_at",
            "documents",
        ]
        read_only_fields = fields


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


class AdminApplicationSerializer(ExpertApplicationSerializer):
    applicant = PersonSerializer(read_only=True)
    reviewer = PersonSerializer(read_only=True, allow_null=True)

    class Meta(ExpertApplicationSerializer.Meta):
        fields = [*ExpertApplicationSerializer.Meta.fields, "applicant", "reviewer"]
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.CHOICES)
    notes = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Shown to the applicant; required when requesting changes.",
    )


class ApplicationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ExpertApplication.Status.choices)
    review_notes = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    documents_count = serializers.SerializerMethodField()

    def get_documents_count(self, obj: ExpertApplication) -> int:
        return len(obj.documents.all())


OVERALL_STATUSES = [
    "not_applied",
    *ExpertApplication.Status.values,
    "suspended",
]


class VerificationStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=OVERALL_STATUSES,
        help_text="The expert's status once approved or suspended, else the latest "
        "application's status, else not_applied.",
    )
    is_verified = serializers.BooleanField()
    expert_id = serializers.IntegerField(allow_null=True)
    expert_status = serializers.ChoiceField(
        choices=Expert.VerificationStatus.choices, allow_null=True
    )
    verified_at = serializers.DateTimeField(allow_null=True)
    application = serializers.SerializerMethodField()
    can_apply = serializers.BooleanField()
    can_upload_documents = serializers.BooleanField()

    @extend_schema_field(ApplicationSummarySerializer(allow_null=True))
    def get_application(self, obj: dict) -> dict | None:
        app = obj["application"]
        return ApplicationSummarySerializer(app).data if app is not None else None
