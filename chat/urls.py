from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.ConversationView.as_view(), name="conversation"),
    path("list/", views.ConversationListView.as_view(), name="conversation-list"),
    path("unread-count/", views.UnreadCountView.as_view(), name="unread-count"),
    path("<int:pk>/", views.ConversationDetailView.as_view(), name="conversation-detail"),
    path("<int:pk>/messages/", views.MessageListView.as_view(), name="message-list"),
    path("<int:pk>/send/", views.SendMessageView.as_view(), name="send"),
    path("<int:pk>/read/", views.MarkReadView.as_view(), name="read"),
    path("<int:pk>/typing/", views.TypingView.as_view(), name="typing"),
    path("<int:pk>/archive/", views.ArchiveView.as_view(), name="archive"),
    path("<int:pk>/block/", views.BlockView.as_view(), name="block"),
    path("messages/<int:pk>/", views.MessageDetailView.as_view(), name="message-detail"),
    path(
        "messages/<int:pk>/attachment/",
        views.AttachmentDownloadView.as_view(),
        name="message-attachment",
    ),
]
