"""Thin REST views: validate input, call a service or selector, shape the answer."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.attachments import FILE_TYPES
from chat.models import ExpertChatConversation
from chat.payloads import message_payload
from chat.serializers import (
    ConversationCreateSerializer,
    ConversationListQuerySerializer,
    ConversationLookupSerializer,
    ConversationSerializer,
    EditMessageSerializer,
    MarkReadSerializer,
    MessagePageQuerySerializer,
    MessagePageSerializer,
    MessageSerializer,
    ReadResultSerializer,
    SendMessageSerializer,
    SendResultSerializer,
    TypingResultSerializer,
    TypingSerializer,
    UnreadCountSerializer,
)
from project.api_errors import NotFound
from project.api_schema import ErrorSerializer
from project.auth import request_user
from project.pagination import PageNumberPagination
from project.parsers import JSONParser
from project.uploads import DOWNLOAD_HEADERS, sanitise_filename, serves_inline

TAGS = ["chat"]
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; the field is named."),
    403: OpenApiResponse(ErrorSerializer, description="Blocked, closed, or not the sender."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown, or not a participant."),
}


def _conversation_data(request: Request, conversation: ExpertChatConversation) -> dict[str, Any]:
    selectors.attach_last_messages([conversation])
    return ConversationSerializer(conversation, context={"user_id": request.user.pk}).data


def _fresh_conversation(request: Request, pk: int) -> Response:
    conversation = selectors.get_conversation_for(request_user(request).pk, pk)
    return Response(_conversation_data(request, conversation))


class ConversationView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_conversation_find",
        parameters=[ConversationLookupSerializer],
        responses={200: ConversationSerializer, **ERRORS},
        summary="Your conversation with an expert, if it exists",
    )
    def get(self, request: Request) -> Response:
        query = ConversationLookupSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        conversation = selectors.find_conversation(
            request_user(request).pk, query.validated_data["expert_id"]
        )
        return Response(_conversation_data(request, conversation))

    @extend_schema(
        tags=TAGS,
        operation_id="chat_conversation_get_or_create",
        request=ConversationCreateSerializer,
        responses={200: ConversationSerializer, 201: ConversationSerializer, **ERRORS},
        summary="Get or start your conversation with an approved expert",
    )
    def post(self, request: Request) -> Response:
        body = ConversationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversation, created = services.get_or_create_conversation(
            user=request_user(request),
            expert_id=body.validated_data["expert_id"],
            consultation_id=body.validated_data.get("consultation_id"),
        )
        conversation = selectors.get_conversation_for(request_user(request).pk, conversation.pk)
        return Response(
            _conversation_data(request, conversation),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_conversation_list",
        parameters=[ConversationListQuerySerializer, OpenApiParameter("page", int)],
        # The body is a DRF page ({count, next, previous, results}), so say so for clients.
        responses={
            200: inline_serializer(
                "PaginatedConversationList",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": ConversationSerializer(many=True),
                },
            )
        },
        summary="Your conversations, newest activity first, with last message and unread count",
    )
    def get(self, request: Request) -> Response:
        query = ConversationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = PageNumberPagination()
        qs = selectors.list_conversations(
            request_user(request).pk, status=query.validated_data.get("status")
        )
        page = paginator.paginate_queryset(qs, request, view=self) or []
        selectors.attach_last_messages(page)
        data = ConversationSerializer(
            page, many=True, context={"user_id": request_user(request).pk}
        ).data
        return paginator.get_paginated_response(data)


class ConversationDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_conversation_detail",
        responses={200: ConversationSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = selectors.get_conversation_for(request_user(request).pk, pk)
        return Response(_conversation_data(request, conversation))


class MessageListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_message_list",
        parameters=[MessagePageQuerySerializer],
        responses={200: MessagePageSerializer, **ERRORS},
        summary="Messages in seq order; page back with `before`, forward with `after`; "
        "changes since a rev (new, edited, deleted) with `after_rev`",
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = selectors.get_conversation_for(request_user(request).pk, pk)
        query = MessagePageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.list_messages(conversation, **query.validated_data)
        return Response(
            {
                "results": [message_payload(m) for m in page.messages],
                "has_more": page.has_more,
                "last_seq": conversation.last_seq,
                "last_rev": conversation.last_rev,
            }
        )


class SendMessageView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS,
        operation_id="chat_message_send",
        request={
            "application/json": SendMessageSerializer,
            "multipart/form-data": SendMessageSerializer,
        },
        responses={
            200: OpenApiResponse(SendResultSerializer, description="Retry of a stored client_id."),
            201: SendResultSerializer,
            **ERRORS,
            429: OpenApiResponse(ErrorSerializer, description="Rate limited (code rate_limited)."),
        },
        summary="Send a text, image or file message",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = SendMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.send_message(
            sender=request_user(request),
            conversation_id=pk,
            text=data.get("text", ""),
            client_id=data.get("client_id"),
            reply_to_id=data.get("reply_to"),
            attachment=data.get("attachment"),
        )
        return Response(
            {**message_payload(result.message), "duplicate": not result.created},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class MarkReadView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_mark_read",
        request=MarkReadSerializer,
        responses={200: ReadResultSerializer, **ERRORS},
        summary="Mark read up to a message (or seq); with neither, everything",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.mark_read(
            reader=request_user(request),
            conversation_id=pk,
            up_to_seq=body.validated_data.get("seq"),
            message_id=body.validated_data.get("message_id"),
        )
        return Response(
            {
                "conversation_id": result.conversation.pk,
                "up_to_seq": result.up_to_seq,
                "unread": result.unread,
            }
        )


class ArchiveView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_archive",
        request=None,
        responses={200: ConversationSerializer, 409: ErrorSerializer, **ERRORS},
        summary="Archive the conversation (a new message reopens it)",
    )
    def post(self, request: Request, pk: int) -> Response:
        services.archive_conversation(user=request_user(request), conversation_id=pk)
        return _fresh_conversation(request, pk)

    @extend_schema(
        tags=TAGS,
        operation_id="chat_unarchive",
        request=None,
        responses={200: ConversationSerializer, 409: ErrorSerializer, **ERRORS},
        summary="Restore an archived conversation",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.archive_conversation(
            user=request_user(request), conversation_id=pk, archived=False
        )
        return _fresh_conversation(request, pk)


class BlockView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_block",
        request=None,
        responses={200: ConversationSerializer, 409: ErrorSerializer, **ERRORS},
        summary="Block the conversation: the other participant can no longer send",
    )
    def post(self, request: Request, pk: int) -> Response:
        services.block_conversation(user=request_user(request), conversation_id=pk)
        return _fresh_conversation(request, pk)

    @extend_schema(
        tags=TAGS,
        operation_id="chat_unblock",
        request=None,
        responses={200: ConversationSerializer, **ERRORS},
        summary="Unblock (only the participant who blocked)",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.unblock_conversation(user=request_user(request), conversation_id=pk)
        return _fresh_conversation(request, pk)


class TypingView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_typing",
        request=TypingSerializer,
        responses={200: TypingResultSerializer, **ERRORS},
        summary="Tell the other participant you are typing (never stored, throttled)",
    )
    def post(self, request: Request, pk: int) -> Response:
        body = TypingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        delivered = services.send_typing(
            user=request_user(request),
            conversation_id=pk,
            is_typing=body.validated_data["is_typing"],
        )
        return Response({"delivered": delivered})


class UnreadCountView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_unread_count",
        responses={200: UnreadCountSerializer},
        summary="Your total unread count and the count per conversation",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.unread_counts(request_user(request).pk))


class MessageDetailView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_message_edit",
        request=EditMessageSerializer,
        responses={200: MessageSerializer, 409: ErrorSerializer, **ERRORS},
        summary="Edit your own message",
    )
    def patch(self, request: Request, pk: int) -> Response:
        body = EditMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.edit_message(
            editor=request_user(request), message_id=pk, text=body.validated_data["text"]
        )
        return Response(message_payload(message))

    @extend_schema(
        tags=TAGS,
        operation_id="chat_message_delete",
        request=None,
        responses={204: None, **ERRORS},
        summary="Delete your own message (a tombstone stays)",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_message(user=request_user(request), message_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="chat_attachment_download",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            **ERRORS,
        },
        summary="Download a message's attachment (participants only)",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        message = selectors.get_message_for(request_user(request).pk, pk)
        if message.deleted_at is not None or not message.attachment:
            raise NotFound("This message has no attachment.", code="attachment_not_found")
        content_type = message.attachment_content_type or "application/octet-stream"
        extension = FILE_TYPES.get(content_type, "bin")
        response = FileResponse(
            message.attachment.open("rb"),
            # Only allowlisted raster images render in the browser; the rest downloads.
            as_attachment=not serves_inline(content_type),
            # Rows stored before names were forced get the sniffed extension here too.
            filename=sanitise_filename(
                message.attachment_name, extension, default_stem="attachment"
            ),
            content_type=content_type,
        )
        for header, value in DOWNLOAD_HEADERS.items():
            response[header] = value
        return response
