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


_COMMON_ERRORS = {
    "400": "Invalid input (`error.fields` names each bad field), or a malformed request "
    "(e.g. a control character in a header) refused before it was read.",
    "403": "Not signed in, or not allowed to do this.",
    "404": "No such object (or not yours).",
}


def document_common_errors(result, generator, request, public):
    """drf-spectacular hook: every operation documents the 4xx it can really answer.

    400 everywhere: besides invalid input (a body, query parameters, a non-integer path
    part), the HTTP server refuses a malformed request (a control byte in a header or cookie
    value, a bad header name) before any view runs, on any operation, in the same shape
    (project/workers.py). 403 where sign-in is required, 404 where the path names an object;
    each in the shared ErrorResponse shape. Codes a view documents itself are left alone.
    """
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            params = operation.get("parameters", [])
            wanted = ["400"]
            if {} not in operation.get("security", [{}]):
                wanted.append("403")
            # A bad `page` is a 400 (project/pagination.py), not a 404.
            if any(p.get("in") == "path" for p in params):
                wanted.append("404")
            for code in wanted:
                operation["responses"].setdefault(
                    code,
                    {
                        "content": {"application/json": {"schema": ref}},
                        "description": _COMMON_ERRORS[code],
                    },
                )
    return result


# OpenAPI links: which response feeds which next call. Clients read them as documentation of
# the main flows; schemathesis' stateful test (project/tests/test_api_stateful.py) follows
# them, e.g. books a consultation and then fetches, cancels and reschedules *that* one.
# (source operationId, response codes, link name, target operationId, parameters)
_ID = {"id": "$response.body#/id"}
API_LINKS: list[tuple[str, tuple[str, ...], str, str, dict[str, str]]] = [
    # book -> get / reschedule / cancel the booked consultation; a reschedule answers with
    # the new consultation, which can be fetched and cancelled in turn. (Links are listed
    # in the order a client would try them: a cancelled consultation cannot be moved.)
    ("v1_consultations_consultations_book_create", ("201",), "GetConsultation",
     "v1_consultations_consultations_retrieve", _ID),
    ("v1_consultations_consultations_book_create", ("201",), "RescheduleConsultation",
     "v1_consultations_consultations_reschedule_create", _ID),
    ("v1_consultations_consultations_book_create", ("201",), "CancelConsultation",
     "v1_consultations_consultations_cancel_create", _ID),
    ("v1_consultations_consultations_reschedule_create", ("201",), "GetConsultation",
     "v1_consultations_consultations_retrieve", _ID),
    ("v1_consultations_consultations_reschedule_create", ("201",), "CancelConsultation",
     "v1_consultations_consultations_cancel_create", _ID),
    # open a conversation -> send in it -> edit / delete that message
    ("chat_conversation_get_or_create", ("200", "201"), "SendMessage", "chat_message_send", _ID),
    ("chat_message_send", ("200", "201"), "EditMessage", "chat_message_edit", _ID),
    ("chat_message_send", ("200", "201"), "DeleteMessage", "chat_message_delete", _ID),
    # availability block -> delete it
    ("v1_consultations_experts_availability_blocks_create", ("201",), "DeleteBlock",
     "v1_consultations_experts_availability_blocks_destroy", _ID),
    # apply -> upload a document to the application (the caller's own: no parameter)
    # -> download that document
    ("v1_consultations_experts_apply_create", ("200", "201"), "UploadDocument",
     "v1_consultations_experts_upload_document_create", {}),
    ("v1_consultations_experts_upload_document_create", ("201",), "GetDocumentFile",
     "v1_consultations_experts_documents_file_retrieve", _ID),
]  # fmt: skip


def add_links(result, generator, request, public):
    """drf-spectacular hook: add API_LINKS to the responses they start from.

    A link is added when both its operations are in the schema (a schema of some URLs only,
    as a test may generate, gets the links among them); test_api_schema_links checks that the
    full schema has every link, so the table cannot go stale.
    """
    operations = {
        op["operationId"]: op
        for methods in result.get("paths", {}).values()
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, codes, name, target, parameters in API_LINKS:
        if source not in operations or target not in operations:
            continue
        for code in codes:
            response = operations[source]["responses"][code]
            link: dict[str, object] = {"operationId": target}
            if parameters:
                link["parameters"] = parameters
            response.setdefault("links", {})[name] = link
    return result
