"""OpenAPI shapes shared by every API module: the error body of project/api_errors.py.

Views document their failures with `error_response("why")` so the schema has one
error component instead of a copy per module (the frontend generates one TS type).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


# Explicit component names: chat.serializers has its own `ErrorSerializer`, and two
# serializers with the same class name would collide as the component "Error".
# drf-spectacular copies `component_name` to subclasses, so a subclass adding fields
# must give its own (see consultations.serializers.meetings.MeetingErrorSerializer).
@extend_schema_serializer(component_name="ErrorResponseBody")
class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. invalid, not_found.")
    message = serializers.CharField(help_text="Human-readable message.")
    # A declared field named `fields`: DRF's metaclass moves it out of the class attributes,
    # which the stubs cannot see, so they take it for the `Serializer.fields` property.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; empty when no field is at fault.",
    )


@extend_schema_serializer(component_name="ErrorResponse")
class ErrorSerializer(serializers.Serializer):
    """The project's error shape; a bad field's messages are also repeated at top level."""

    error = ErrorBodySerializer()
    detail = serializers.CharField(
        required=False, help_text="The message again (absent on validation errors)."
    )


def error_response(
    description: str, serializer: type[serializers.Serializer] = ErrorSerializer
) -> OpenApiResponse:
    return OpenApiResponse(serializer, description=description)
