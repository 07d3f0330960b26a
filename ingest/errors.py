"""Domain errors. The CLI and the bot turn these into clear messages; anything else is a bug
and is logged with its traceback."""

from __future__ import annotations


class GuidepostError(Exception):
    """Base class: `str(error)` is a sentence a teacher or coach can read."""


class DocumentError(GuidepostError):
    """A file could not be turned into a document. Nothing already indexed is touched."""


class UnsupportedFile(DocumentError):
    pass


class EmptyDocument(DocumentError):
    pass


class NoExtractableText(DocumentError):
    pass


class EncryptedDocument(DocumentError):
    pass


class CorruptDocument(DocumentError):
    pass


class BinaryContent(DocumentError):
    pass


class FileTooLarge(DocumentError):
    pass


class ArchiveTooLarge(DocumentError):
    pass


class InvalidTags(GuidepostError):
    pass


class SourceNotFound(GuidepostError):
    pass


class ConfigError(GuidepostError):
    """A setting (an environment variable, named in the message) has a value that cannot work."""


class IndexUnavailable(GuidepostError):
    """The knowledge base or a store in the data dir cannot be opened or written."""


class EncoderMismatch(IndexUnavailable):
    """The index holds vectors another encoder made (GUIDEPOST_ENCODER was changed)."""


class PersonalDataFound(DocumentError):
    """A document looks like it holds student personal data, so it was not indexed.
    `report` (an `ingest.privacy.PrivacyReport`) says what was found and where, masked."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class InvalidStandard(InvalidTags):
    """A standard code a coach typed is not one of the known forms (CSTA, Common Core, NGSS)."""


class WebPageError(DocumentError):
    """A web page could not be fetched or read. Nothing already indexed is touched."""


class UnsafeURL(WebPageError):
    """Not an http(s) link, or one that leads to a private, loopback or link-local address."""


class PageUnavailable(WebPageError):
    """The host could not be found or reached, or it answered with an error status."""


class TooManyRedirects(WebPageError):
    pass


class FetchTimeout(WebPageError):
    pass


class PageTooLarge(WebPageError):
    pass


class UnsupportedContent(WebPageError):
    """The link serves something other than a web page, text or a PDF."""
