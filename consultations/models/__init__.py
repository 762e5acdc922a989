from consultations.models.availability import ExpertAvailability, ExpertUnavailability
from consultations.models.bookings import Consultation
from consultations.models.experts import (
    Expert,
    ExpertiseArea,
    Language,
)
from consultations.models.verification import (
    ExpertApplication,
    ExpertVerificationDocument,
    VerificationAuditLog,
)

__all__ = [
    "Consultation",
    "Expert",
    "ExpertApplication",
    "ExpertAvailability",
    "ExpertUnavailability",
    "ExpertVerificationDocument",
    "ExpertiseArea",
    "Language",
    "VerificationAuditLog",
]
