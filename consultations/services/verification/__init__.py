"""Expert verification, in three modules:

- `applications`: apply, review (approve / reject / ask for changes), suspend, reinstate;
  each status change is audited, pushed to the applicant and signalled after commit;
- `documents`: the upload of verification documents (size, sniffed type, safe names);
- `profile`: normalising and validating the proposed profile (languages, expertise, rate).

Callers import from this package; the names below are its public surface.
"""

from consultations.services.verification.applications import (
    VERIFICATION_UPDATED,
    Decision,
    apply_for_expert,
    mark_under_review,
    reinstate_expert,
    review_application,
    suspend_expert,
)
from consultations.services.verification.documents import (
    ALLOWED_DOCUMENT_TYPES,
    MAX_DOCUMENTS_PER_APPLICATION,
    MAX_ORIGINAL_NAME_LENGTH,
    MULTIPART_OVERHEAD_BYTES,
    refuse_oversized_body,
    sanitise_filename,
    sniff_document,
    upload_verification_document,
)
from consultations.services.verification.profile import (
    clean_list,
    expertise_rows,
    language_rows,
    normalise_language_code,
    validate_profile,
)

__all__ = [
    "ALLOWED_DOCUMENT_TYPES",
    "MAX_DOCUMENTS_PER_APPLICATION",
    "MAX_ORIGINAL_NAME_LENGTH",
    "MULTIPART_OVERHEAD_BYTES",
    "VERIFICATION_UPDATED",
    "Decision",
    "apply_for_expert",
    "clean_list",
    "expertise_rows",
    "language_rows",
    "mark_under_review",
    "normalise_language_code",
    "refuse_oversized_body",
    "reinstate_expert",
    "review_application",
    "sanitise_filename",
    "sniff_document",
    "suspend_expert",
    "upload_verification_document",
    "validate_profile",
]
