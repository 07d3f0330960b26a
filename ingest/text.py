"""Words as the keyword index and the answer engine see them."""

from __future__ import annotations

import re

# Words too common to help a keyword search.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves i'm we're they're it's what's
    let's can't don't doesn't isn't also may might must shall us get got""".split()
)
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


def keyword_terms(text: str) -> list[str]:
    """The searchable words of a question, lower-cased, stopwords removed, order kept."""
    seen: dict[str, None] = {}
    for m in _TERM.finditer(text):
        t = m.group(0).lower().replace("’", "'").strip("'")
        if t.endswith("'s"):
            t = t[:-2]
        if len(t) > 1 and t not in STOPWORDS:
            seen.setdefault(t, None)
    return list(seen)
