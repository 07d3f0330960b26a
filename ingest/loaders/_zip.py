"""Checks on Office files (zip archives) before a parser inflates them."""

from __future__ import annotations

import io
import zipfile

from ..errors import ArchiveTooLarge, CorruptDocument
from ..settings import IndexSettings as Settings
from ._text import human_size

# Only members this big are held to the compression-ratio limit: a small, very repetitive XML
# part compresses well without being a threat.
_RATIO_CHECK_FROM = 1024 * 1024


def check_office_zip(data: bytes, name: str, settings: Settings, *, kind: str, required: str) -> None:
    """Refuse `data` unless it is a zip holding `required` that inflates within the limits.

    `kind` names the format for messages ('.docx'); `required` is its main part ('word/document.xml').
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if data.startswith(b"PK"):
            raise CorruptDocument(f"{name} is damaged or truncated (its zip archive is incomplete).") from exc
        raise CorruptDocument(f"{name} is not a valid {kind} file (it is not a zip archive).") from exc
    with archive:
        members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > settings.max_unzipped_bytes:
        raise ArchiveTooLarge(
            f"{name} would inflate to {human_size(total)}, over the {human_size(settings.max_unzipped_bytes)} limit "
            "(GUIDEPOST_MAX_UNZIPPED_MB)."
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size >= _RATIO_CHECK_FROM and ratio > settings.max_zip_ratio:
            raise ArchiveTooLarge(
                f"{name} looks like a zip bomb: its part {m.filename} is compressed {ratio:,.0f} to 1, "
                f"over the {settings.max_zip_ratio:,.0f} to 1 limit (GUIDEPOST_MAX_ZIP_RATIO)."
            )
    if required not in {m.filename for m in members}:
        raise CorruptDocument(f"{name} is not a valid {kind} file (it has no {required}).")
