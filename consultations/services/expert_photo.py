"""Expert photos: checked by content, re-encoded with Pillow, stored under random names.

An upload is accepted only if its bytes are PNG, JPEG or WebP (project/uploads.py sniffs
them) and Pillow can decode it within a pixel budget. It is never stored as sent: it is
turned upright (EXIF orientation), cropped to a centred square and re-encoded as WebP at
PHOTO_SIZE and THUMB_SIZE pixels. Re-encoding drops EXIF (GPS position, camera serial),
ICC tricks, trailing bytes and any polyglot payload. The files are named by a random key,
so their URLs are unguessable and can be cached for ever; a replacement gets a new key
and the old files are deleted once the change is committed.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from consultations.models import Expert
from consultations.models.experts import PHOTO_SIZE
from consultations.models.experts import PHOTO_THUMB_SIZE as THUMB_SIZE
from project.api_errors import NotAllowed, ServiceError
from project.uploads import sniff_mime

SIZES = (PHOTO_SIZE, THUMB_SIZE)
FOLDER = "expert-photos"
# Sniffed type -> the Pillow format the decoded image must also report.
ALLOWED_PHOTO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# Decoding a 40-megapixel image takes ~160 MB; anything larger is refused before decoding
# (a small PNG can claim 100000x100000 pixels).
MAX_PIXELS = 40_000_000
# Room for the multipart boundaries around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
FILE_NAME = re.compile(r"^(?P<key>[A-Za-z0-9_-]{16,32})-(?P<size>512|128)\.webp$")


def photo_file_name(key: str, size: int) -> str:
    return f"{key}-{size}.webp"


def _storage_name(key: str, size: int) -> str:
    return f"{FOLDER}/{photo_file_name(key, size)}"


def _too_large(limit: int) -> ServiceError:
    return ServiceError(
        f"The photo is larger than {limit // (1024 * 1024)} MB.",
        field="photo",
        code="photo_too_large",
        extra={"max_bytes": limit},
    )


def refuse_oversized_body(content_length: str | int | None) -> None:
    """Refuse before parsing, so a huge body is not spooled to disk just to be rejected."""
    limit = settings.EXPERT_PHOTO_MAX_BYTES
    try:
        length = int(content_length or 0)
    except (TypeError, ValueError):
        return
    if length > limit + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(limit)


def _not_an_image() -> ServiceError:
    return ServiceError(
        "Upload a PNG, JPEG or WebP photo (checked by its content, not its name).",
        field="photo",
        code="photo_type_not_allowed",
        extra={"allowed_types": sorted(ALLOWED_PHOTO_TYPES)},
    )


def render_photo(upload: UploadedFile) -> dict[int, bytes]:
    """The upload as square WebP files, one per size; refuses anything else."""
    size = upload.size or 0
    if size <= 0:
        raise ServiceError("The file is empty.", field="photo", code="photo_empty")
    limit = settings.EXPERT_PHOTO_MAX_BYTES
    if size > limit:
        raise _too_large(limit)
    mime = sniff_mime(upload)
    if mime not in ALLOWED_PHOTO_TYPES:
        raise _not_an_image()
    try:
        with warnings.catch_warnings():
            # Pillow warns (and only raises at twice the limit) for decompression bombs.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=[ALLOWED_PHOTO_TYPES[mime]]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ServiceError(
                        f"The photo has too many pixels (at most {MAX_PIXELS // 1_000_000} "
                        "megapixels).",
                        field="photo",
                        code="photo_too_large",
                    )
                if min(width, height) < 64:
                    raise ServiceError(
                        "The photo is too small; use one at least 64 pixels on each side.",
                        field="photo",
                        code="photo_too_small",
                    )
                image.seek(0)  # animated WebP/PNG: the first frame
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ServiceError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise _not_an_image() from exc
    finally:
        upload.seek(0)
    mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
    upright = upright.convert(mode)
    out: dict[int, bytes] = {}
    for side in SIZES:
        # Faces sit above the middle of most portraits: crop a little higher than centre.
        square = ImageOps.fit(upright, (side, side), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        buffer = io.BytesIO()
        # No exif=/icc_profile= given: the new file carries no metadata.
        square.save(buffer, format="WEBP", quality=85, method=4)
        out[side] = buffer.getvalue()
    return out


def _delete_files(key: str) -> None:
    for side in SIZES:
        default_storage.delete(_storage_name(key, side))


def _check_owner(expert: Expert, actor: User) -> None:
    if actor.pk != expert.user_id:
        raise NotAllowed("You can only change your own photo.")


def set_expert_photo(*, expert: Expert, actor: User, upload: UploadedFile) -> Expert:
    """Store a new photo for the expert, replacing any earlier one."""
    _check_owner(expert, actor)
    rendered = render_photo(upload)
    key = secrets.token_urlsafe(16)  # 22 characters, 128 random bits
    for side, data in rendered.items():
        saved = default_storage.save(_storage_name(key, side), ContentFile(data))
        if saved != _storage_name(key, side):  # pragma: no cover - a 128-bit collision
            default_storage.delete(saved)
            raise RuntimeError("Photo name collision")
    try:
        with transaction.atomic():
            locked = Expert.objects.select_for_update().get(pk=expert.pk)
            old_key = locked.photo_key
            locked.photo_key = key
            locked.save(update_fields=["photo_key", "updated_at"])
            if old_key:
                transaction.on_commit(lambda: _delete_files(old_key), robust=True)
    except Exception:
        _delete_files(key)
        raise
    return locked


def remove_expert_photo(*, expert: Expert, actor: User) -> Expert:
    """Remove the uploaded photo (and the linked avatar URL): initials are shown instead."""
    _check_owner(expert, actor)
    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        old_key = locked.photo_key
        locked.photo_key = ""
        locked.avatar_url = ""
        locked.save(update_fields=["photo_key", "avatar_url", "updated_at"])
        if old_key:
            transaction.on_commit(lambda: _delete_files(old_key), robust=True)
    return locked


def open_photo_file(name: str) -> File[bytes] | None:
    """The stored file for a photo URL's name, or None if the name is not one of ours."""
    if not FILE_NAME.match(name):
        return None
    try:
        return default_storage.open(f"{FOLDER}/{name}", "rb")
    except FileNotFoundError:
        return None
