from consultations.models.attendance import AttendanceInterval
from consultations.models.availability import (
    ExpertAvailability,
    ExpertDateOverride,
    ExpertUnavailability,
)
from consultations.models.bookings import Consultation
from consultations.models.experts import (
    Expert,
    ExpertiseArea,
    Language,
)
from consultations.models.idempotency import IdempotencyKey
from consultations.models.ledger import BookingAuditLog, LedgerEntry
from consultations.models.reliability import ExpertReliability
from consultations.models.reminders import ConsultationReminder
from consultations.models.reviews import Review
from consultations.models.verification import (
    ExpertApplication,
    ExpertVerificationDocument,
    VerificationAuditLog,
)

__all__ = [
    "AttendanceInterval",
    "BookingAuditLog",
    "Consultation",
    "ConsultationReminder",
    "Expert",
    "ExpertApplication",
    "ExpertAvailability",
    "ExpertDateOverride",
    "ExpertReliability",
    "ExpertUnavailability",
    "ExpertVerificationDocument",
    "ExpertiseArea",
    "IdempotencyKey",
    "Language",
    "LedgerEntry",
    "Review",
    "VerificationAuditLog",
]
