"""Chat domain signals, sent after commit by chat services; notifications listens."""

from django.dispatch import Signal

# kwargs: message, recipient_ids (list[int])
chat_message_created = Signal()
