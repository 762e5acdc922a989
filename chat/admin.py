from django.contrib import admin

from chat.models import ExpertChatConversation, ExpertChatMessage


@admin.register(ExpertChatConversation)
class ExpertChatConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "expert", "status", "last_seq", "last_message_at")
    list_filter = ("status",)
    search_fields = ("user__email", "expert__name")
    raw_id_fields = ("user", "expert", "consultation", "blocked_by")
    readonly_fields = (
        "last_seq",
        "last_message_at",
        "user_last_read_seq",
        "expert_last_read_seq",
        "user_unread",
        "expert_unread",
        "created_at",
        "updated_at",
    )


@admin.register(ExpertChatMessage)
class ExpertChatMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "seq", "sender", "kind", "created_at", "deleted_at")
    list_filter = ("kind",)
    search_fields = ("text", "client_id")
    raw_id_fields = ("conversation", "sender", "reply_to")
    readonly_fields = ("seq", "client_id", "created_at", "edited_at", "deleted_at", "read_at")
