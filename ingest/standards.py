"""Standard codes named in a document's text, normalised, and checked when a coach types one.

    find_standards("Covers 3a-ap-17 and CCSS.MATH.CONTENT.5.NF.A.1")  # ['3A-AP-17', '5.NF.A.1']
    parse_standard("3b–ap–10")                                       # '3B-AP-10'
    mapping_rows(doc.text)   # a curriculum's 'lesson | standards' table, with each row's link

Frameworks and the canonical form of their codes (what is stored, filtered on and shown):

- CSTA K-12 CS standards (2017): level-concept-number, `1A-CS-01`, `2-AP-10`, `3B-AP-17`
  (levels 1A 1B 2 3A 3B; concepts CS NI DA AP IC; the number two digits).
- Common Core math: `5.NF.A.1`, `K.CC.B.4`, `6.RP.A.3a`, high school `HSA-SSE.A.1`, practices
  `MP.1`; the long form `CCSS.MATH.CONTENT.5.NF.A.1` is shortened to these.
- Common Core ELA/literacy: `RL.5.1`, `RI.7.4`, `RF.1.3`, `SL.3.1`, `RH.6-8.2`, `RST.9-10.3`,
  `WHST.6-8.1`. `W.8.2` and `L.4.2` are too short to trust in running text ("Figure L.4.2"):
  they count only with the `CCSS.ELA-LITERACY.` prefix, or when a coach types them.
- NGSS performance expectations: `MS-PS1-2`, `K-PS2-1`, `HS-LS1-1`, `3-5-ETS1-1`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidStandard
from .domain import Document

# Hyphen-like characters that word processors put in codes.
_DASHES = re.compile("[\u2010-\u2015\u2212]")

_CSTA = r"(?P<csta_level>1A|1B|2|3A|3B)-(?P<csta_concept>CS|NI|DA|AP|IC)-(?P<csta_num>\d{1,2})"
_MATH_DOMAINS = r"CC|OA|NBT|NF|MD|G|RP|NS|EE|SP|F"
_MATH = (
    rf"(?:CCSS\.MATH\.CONTENT\.)?(?P<math_grade>K|[1-8])\.(?P<math_domain>{_MATH_DOMAINS})"
    rf"(?:\.(?P<math_cluster>[A-D]))?\.(?P<math_num>\d{{1,2}})(?P<math_part>[a-eA-E])?"
)
_HS_MATH = (
    r"(?:CCSS\.MATH\.CONTENT\.)?HS(?P<hs_cat>[NAFGS])[-.](?P<hs_domain>[A-Z]{1,3})"
    r"\.(?P<hs_cluster>[A-D])\.(?P<hs_num>\d{1,2})(?P<hs_part>[a-eA-E])?"
)
_PRACTICE = r"(?:CCSS\.MATH\.PRACTICE\.MP|MP\.)(?P<mp>[1-8])"
_ELA_GRADES = r"K|1[0-2]|[1-9]|9-10|11-12|6-8"
_ELA = (
    rf"(?:CCSS\.ELA-LITERACY\.)?(?P<ela_strand>RL|RI|RF|SL|RH|RST|WHST)\.(?P<ela_grade>{_ELA_GRADES})"
    r"\.(?P<ela_num>\d{1,2})(?P<ela_part>[a-fA-F])?"
)
_ELA_SHORT = (
    rf"CCSS\.ELA-LITERACY\.(?P<els_strand>W|L)\.(?P<els_grade>{_ELA_GRADES})\.(?P<els_num>\d{{1,2}})(?P<els_part>[a-fA-F])?"
)
_NGSS = r"(?P<ngss_band>K-2|3-5|MS|HS|K|[1-5])-(?P<ngss_dci>PS[1-4]|LS[1-4]|ESS[1-3]|ETS[1-2])-(?P<ngss_num>\d{1,2})"

_ALTERNATIVES = (_CSTA, _NGSS, _HS_MATH, _MATH, _PRACTICE, _ELA_SHORT, _ELA)
# In running text a code stands alone: not glued to letters, digits or a further '.x' / '-x'.
_IN_TEXT = re.compile(rf"(?<![\w.-])(?:{'|'.join(_ALTERNATIVES)})(?![\w]|[.-]\w)")
_TYPED_ELA_SHORT = re.compile(rf"(?P<els_strand>W|L)\.(?P<els_grade>{_ELA_GRADES})\.(?P<els_num>\d{{1,2}})(?P<els_part>[a-fA-F])?")
_EXACT = re.compile(rf"(?:{'|'.join(_ALTERNATIVES)})")

FRAMEWORKS = {"CSTA": "CSTA K-12 CS", "CCSS-M": "Common Core math", "CCSS-ELA": "Common Core ELA", "NGSS": "NGSS"}


@dataclass(frozen=True)
class Standard:
    code: str  # canonical: '3A-AP-17', '5.NF.A.1', 'RL.5.1', 'MS-PS1-2'
    framework: str  # a key of FRAMEWORKS

    def __str__(self) -> str:
        return self.code


def _canonical(m: re.Match[str]) -> Standard:
    g = m.groupdict()
    if g.get("csta_level"):
        return Standard(f"{g['csta_level']}-{g['csta_concept']}-{int(g['csta_num']):02d}", "CSTA")
    if g.get("ngss_band"):
        return Standard(f"{g['ngss_band']}-{g['ngss_dci']}-{int(g['ngss_num'])}", "NGSS")
    if g.get("hs_cat"):
        code = f"HS{g['hs_cat']}-{g['hs_domain']}.{g['hs_cluster']}.{int(g['hs_num'])}{(g['hs_part'] or '').lower()}"
        return Standard(code, "CCSS-M")
    if g.get("math_grade"):
        cluster = f".{g['math_cluster']}" if g.get("math_cluster") else ""
        code = f"{g['math_grade']}.{g['math_domain']}{cluster}.{int(g['math_num'])}{(g['math_part'] or '').lower()}"
        return Standard(code, "CCSS-M")
    if g.get("mp"):
        return Standard(f"MP.{g['mp']}", "CCSS-M")
    if g.get("els_strand"):
        return Standard(f"{g['els_strand']}.{g['els_grade']}.{int(g['els_num'])}{(g['els_part'] or '').lower()}", "CCSS-ELA")
    return Standard(f"{g['ela_strand']}.{g['ela_grade']}.{int(g['ela_num'])}{(g['ela_part'] or '').lower()}", "CCSS-ELA")


def _fold(text: str) -> str:
    return _DASHES.sub("-", text)


def find_standards(text: str) -> list[str]:
    """The canonical codes `text` names, each once, in order of first appearance. Codes are
    matched as written (upper case, but for a sub-part letter: '6.RP.A.3a'), so that 'mp3' or
    'ms-word' in running text is no code."""
    return [s.code for s in find_standard_objects(text)]


def find_standard_objects(text: str) -> list[Standard]:
    seen: dict[str, Standard] = {}
    for m in _IN_TEXT.finditer(_fold(text)):
        s = _canonical(m)
        seen.setdefault(s.code, s)
    return list(seen.values())


def standards_in(doc: Document) -> list[str]:
    """The codes a loaded document names (its title too)."""
    return find_standards(f"{doc.title}\n{doc.text}")


def parse_standard(value: str) -> str:
    """The canonical form of one code a coach typed (`--standard 3a-ap-17`), or InvalidStandard."""
    raw = str(value).strip()
    text = _fold("".join(raw.split())).upper()
    m = _EXACT.fullmatch(text) or _TYPED_ELA_SHORT.fullmatch(text)
    if m is None:
        raise InvalidStandard(
            f"{raw!r} is not a standard code Guidepost knows: use a CSTA code such as 3A-AP-17, a Common Core "
            "code such as 5.NF.A.1 or RL.5.1, or an NGSS code such as MS-PS1-2."
        )
    return _canonical(m).code


def parse_standards(values: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Several codes, from repeated flags or one comma/space separated string; de-duplicated."""
    if not values:
        return []
    items = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        for part in re.split(r"[,;\s]+", item.strip()):
            if part and (code := parse_standard(part)) not in out:
                out.append(code)
    return out


# --- a curriculum's mapping table ------------------------------------------------------------


@dataclass(frozen=True)
class MappedRow:
    """A table row that names standards: its label cell ('1.01: Set Up'), the codes, and the
    link the label carries ('units/1_unit/01_lesson/lesson.md'), if any."""

    label: str
    codes: tuple[str, ...]
    target: str | None = None


_ROW = re.compile(r"^\s*\|?(.+\|.+?)\|?\s*$")
_INLINE_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[([^\]]*)\]")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*(\S+)", re.M)


def mapping_rows(text: str) -> list[MappedRow]:
    """Rows of the tables in `text` (Markdown, or 'cell | cell' lines from Word and HTML) whose
    cells name standard codes, with the link of the first cell resolved (inline links and
    reference-style links both)."""
    refs = {" ".join(k.lower().split()): v for k, v in _REF_DEF.findall(text)}
    rows = []
    for line in text.split("\n"):
        m = _ROW.match(line)
        if m is None:
            continue
        cells = [c.strip() for c in m.group(1).split("|")]
        codes = tuple(dict.fromkeys(c for cell in cells[1:] for c in find_standards(cell)))
        if not codes:
            continue
        label, target = _label_and_target(cells[0], refs)
        rows.append(MappedRow(label, codes, target))
    return rows


def _label_and_target(cell: str, refs: dict[str, str]) -> tuple[str, str | None]:
    if m := _INLINE_LINK.search(cell):
        return m.group(1).strip(), m.group(2)
    if m := _REF_LINK.search(cell):
        key = " ".join((m.group(2) or m.group(1)).lower().split())
        return m.group(1).strip(), refs.get(key)
    return cell.strip("*_ "), None


# --- index metadata ----------------------------------------------------------------------------

_KEY_PREFIX = "std:"


def standards_metadata(codes: list[str] | tuple[str, ...]) -> dict[str, str | bool]:
    """Chunk metadata for a document's codes: `standards` (space-separated, for citations) and one
    `std:<code>: True` key per code, because a vector store filters on equality, not on a list."""
    meta: dict[str, str | bool] = {"standards": " ".join(codes)}
    meta.update({f"{_KEY_PREFIX}{c}": True for c in codes})
    return meta


def standard_filter(value: str) -> dict[str, bool]:
    """The `where` clause that keeps chunks tagged with the standard `value` (validated first)."""
    return {f"{_KEY_PREFIX}{parse_standard(value)}": True}
