"""Remove invisible junk from extracted text, and nothing else.

Text must stay as written so that a quoted passage can be found verbatim in the source file:
punctuation, mojibake and Markdown markup are kept. Only characters a reader cannot see are
touched.
"""

from __future__ import annotations

import re

# Line and page separators that some formats use instead of "\n" (PowerPoint writes a vertical tab
# for a soft line break): they become a newline rather than vanish, so words stay apart.
_BREAKS = re.compile("\r\n|[\r\v\f\x85\u2028\u2029]")

# NUL and the other C0 controls except tab and newline, DEL, the C1 controls, the soft hyphen,
# the zero-width space, the word joiner, the byte-order mark, and U+FFFD (a byte that could not be
# decoded). The zero-width (non-)joiners stay: they shape emoji and some scripts.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\xad\u200b\u2060\ufeff\ufffd]")


def clean_text(text: str) -> str:
    """`text` with line endings made "\\n" and invisible characters removed."""
    return _INVISIBLE.sub("", _BREAKS.sub("\n", text))
