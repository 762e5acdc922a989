"""Domain signals, sent by services after the transaction commits.

Services send them with `transaction.on_commit(...)`; the notifications app listens
(emails, in-app notifications). Live WebSocket pushes go through `realtime.events`.
"""

from django.dispatch import Signal

# kwargs: consultation
consultation_created = Signal()
# kwargs: consultation, old_status, new_status, actor (User | None),
#         change ("confirmed" | "cancelled" | "rescheduled" | "completed" | "no_show")
consultation_status_changed = Signal()
# kwargs: application
expert_application_submitted = Signal()
# kwargs: application, decision ("approve" | "reject" | "request_changes"), reviewer
expert_application_reviewed = Signal()
# kwargs: expert, old_status, new_status, actor  (suspension etc.)
expert_status_changed = Signal()
# kwargs: expert, actor (User | None), change ("override_created" | "override_changed" |
#         "override_removed"), details (dict)
availability_changed = Signal()
# kwargs: consultation, actor (User)  -- a participant started the video call
meeting_started = Signal()
# kwargs: consultation, review (Review), actor (User)  -- the client reviewed it
consultation_rated = Signal()
