"""Student personal-data scan of a loaded document, run before it is indexed.

    report = scan_document(doc)
    if report.findings and not allow_personal_data:
        raise report.error(doc.title)      # a PersonalDataFound, listed under `failed`

What is found, each with where (page / slide / line) and the value masked:

- email addresses (`j***@s***.org`), except made-up ones (reserved example domains, the
  placeholder domains teaching material uses), role mailboxes (`hello@`, `support@`) and a staff
  member's contact address (the nearest cue before it on its line names a teacher, coach, "Ms.",
  ...; a student, parent or guardian cue wins over it);
- phone numbers (`***-***-1234`), found and validated by `phonenumbers` (Google's libphonenumber
  rules: a real area code and exchange, extensions, international numbers), with the same
  staff-contact exception;
- dates of birth: a date right after "DOB", "date of birth", "birthday", "born (on)", or in a
  table column headed so;
- student-ID-like numbers (four digits or more) right after "student ID", "ID#", "SID",
  "LASID", "lunch number"..., or in a table column headed so;
- a filled "Student Name:" field (a plain "Name:" field at the start of a line needs a first and
  a last name);
- rosters and gradebooks: three or more rows that each carry a person's name, either under a
  column headed "Name" / "Student" / "Last, First", or (with no such header) a full name whose
  other cells are all scores, grades, IDs, dates or addresses.

Blank templates ("Student Name: ______", "DOB: __/__/____") hold no value and are not findings;
nor are names anywhere else (an author's byline, "Player 1's name: Pat" in an exercise).

presidio-analyzer was considered: it cannot run offline here. Its default engine downloads a
spaCy model (not on the package registry); with a blank spaCy pipeline its pattern recognisers
do run, but importing it takes ~5 s, it pulls spaCy (~450 MB venv), its email recogniser asks
the network for the public-suffix list, and its date and phone recognisers know no "date of
birth" or "staff contact" context. The patterns here are our own, except phone numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import PersonalDataFound
from .domain import Document


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    DATE_OF_BIRTH = "date_of_birth"
    STUDENT_ID = "student_id"
    STUDENT_NAME = "student_name"
    ROSTER = "roster"

    @property
    def label(self) -> str:
        return _LABELS[self][0]

    def counted(self, n: int) -> str:
        """'1 email address', '3 email addresses'."""
        singular, plural = _LABELS[self]
        return f"{n} {singular if n == 1 else plural}"


_LABELS = {
    Kind.EMAIL: ("email address", "email addresses"),
    Kind.PHONE: ("phone number", "phone numbers"),
    Kind.DATE_OF_BIRTH: ("date of birth", "dates of birth"),
    Kind.STUDENT_ID: ("student ID", "student IDs"),
    Kind.STUDENT_NAME: ("filled student name field", "filled student name fields"),
    Kind.ROSTER: ("roster or gradebook table", "roster or gradebook tables"),
}


@dataclass(frozen=True, order=True)
class Location:
    """Where a finding is: a page or slide (1-based) when the document has them, and a line
    (1-based) within that page or slide, else within the whole document text."""

    page: int | None = None
    slide: int | None = None
    line: int = 0

    def __str__(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.slide is not None:
            parts.append(f"slide {self.slide}")
        parts.append(f"line {self.line}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    location: Location
    masked: str  # the value with most characters hidden: safe to show in Slack or a log

    def __str__(self) -> str:
        return f"{self.kind.label} {self.masked} ({self.location})"


@dataclass(frozen=True)
class PrivacyReport:
    findings: tuple[Finding, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.findings)

    def counts(self) -> dict[Kind, int]:
        return dict(Counter(f.kind for f in self.findings))

    def summary(self, examples: int = 3) -> str:
        """'2 email addresses (line 4: m***@s***.org; line 9: …), 1 phone number (…)'."""
        parts = []
        for kind, n in self.counts().items():
            shown = [f for f in self.findings if f.kind is kind][:examples]
            where = "; ".join(f"{f.location}: {f.masked}" for f in shown)
            more = "; …" if n > len(shown) else ""
            parts.append(f"{kind.counted(n)} ({where}{more})")
        return ", ".join(parts)

    def error(self, name: str) -> PersonalDataFound:
        """The error that refuses to index document `name` because of these findings."""
        return PersonalDataFound(
            f"{name} was not indexed: it looks like it holds student personal data: {self.summary()}. "
            "Remove it, or index anyway if it is not student data.",
            self,
        )


def scan_document(doc: Document, *, region: str = "US") -> PrivacyReport:
    """Scan a loaded document's sections; `region` is where phone numbers without a country
    code are assumed to be."""
    return PrivacyReport(tuple(_scan(_document_lines(doc), region)))


def scan_text(text: str, *, region: str = "US") -> PrivacyReport:
    """Scan plain text; locations are line numbers."""
    lines = [_Line(t, Location(line=n)) for n, t in enumerate(text.split("\n"), start=1)]
    return PrivacyReport(tuple(_scan(lines, region)))


# --- lines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    where: Location
    section: int = 0


def _document_lines(doc: Document) -> list[_Line]:
    out: list[_Line] = []
    doc_line = 1
    per_unit: Counter[tuple[int | None, int | None]] = Counter()
    for i, s in enumerate(doc.sections):
        unit = (s.page, s.slide)
        for text in s.text.split("\n"):
            if unit == (None, None):
                where = Location(line=doc_line)
            else:
                per_unit[unit] += 1
                where = Location(s.page, s.slide, per_unit[unit])
            out.append(_Line(text, where, i))
            doc_line += 1
        doc_line += 1  # sections are joined with a blank line in Document.text
    return out


def _scan(lines: list[_Line], region: str) -> Iterator[Finding]:
    seen: set[tuple[Kind, Location, str]] = set()
    prev = ""
    for line in lines:
        for f in _line_findings(line, prev, region):
            key = (f.kind, f.location, f.masked)
            if key not in seen:
                seen.add(key)
                yield f
        prev = line.text
    yield from _tables(lines)


# --- names -----------------------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# Maria, McDonald, O'Neil, García-López, Nguyễn is out of reach of a character class; close enough.
_TOKEN = rf"(?:[{_UP}][{_LOW}]+(?:[{_UP}][{_LOW}]+)?|[{_UP}](?=['’]))(?:[-'’][{_UP}]?[{_LOW}]+)*"
_CAPS_TOKEN = rf"[{_UP}]{{2,}}(?:[-'’][{_UP}]+)*"
_INITIAL = rf"[{_UP}]\.?"
_FIRST_LAST = re.compile(rf"{_TOKEN}(?: (?:{_TOKEN}|{_INITIAL}))*")
_LAST_FIRST = re.compile(
    rf"(?:{_TOKEN}(?: {_TOKEN})?|{_CAPS_TOKEN}(?: {_CAPS_TOKEN})?), (?:{_TOKEN}|{_CAPS_TOKEN})(?: {_INITIAL})?"
)
# Capitalised words of forms, rubrics and curricula that are no one's name.
_NOT_NAMES = frozenset(
    """
    a an the and or of for to in on at by with from as is are be it this that these those my your our their his
    her its no not all any each every some none yes
    name names student students teacher teachers class period date day week month year term semester quarter
    grade grades score scores total totals points point average mean max min sum percent level levels
    unit units lesson lessons lab labs project projects quiz quizzes test tests exam exams homework assignment
    assignments part parts question questions answer answers task tasks criteria criterion rubric category
    section room school district course subject group groups team teams row rows column columns table item
    items station stations activity activities warm up exit ticket notes note page slide step steps example
    examples sample final midterm extra credit late missing excused absent present tardy pass fail complete
    incomplete proficient advanced basic beginning developing approaching meets exceeds exemplary emerging
    code style quality design function functions variable variables loop loops list lists string strings
    data type types value values input output program programs python java debugging testing review
    introduction intro overview summary objective objectives standard standards skill skills reading writing
    math science history art music english spanish french physics chemistry biology
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    true false none null
    """.split()
)


def _is_person_name(value: str, *, min_tokens: int) -> bool:
    """Whether `value` is shaped like a person's name: 'Maria Lopez', 'Lopez, Maria', 'Maria
    J. Lopez' (and with `min_tokens=1`, 'Maria'), made of no word that forms and curricula use."""
    value = value.strip()
    if not value or len(value) > 60:
        return False
    if _LAST_FIRST.fullmatch(value):
        words = re.findall(r"[^\W\d_][\w'’-]*", value)
    elif _FIRST_LAST.fullmatch(value):
        words = re.findall(r"[^\W\d_][\w'’-]*", value)
        if sum(1 for w in words if len(w) > 1) < min_tokens or len(words) > 4:
            return False
    else:
        return False
    return not any(w.lower() in _NOT_NAMES for w in words)


def _mask_name(value: str) -> str:
    """'Maria Lopez' -> 'M**** L****'."""
    return re.sub(r"(?<=[^\W\d_])[^\W\d_'’-]", "*", value.strip())


# --- line patterns -----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_-])?)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w@-])"
)
# Reserved for documentation (RFC 2606 / 6761), and the generic names teaching material makes
# addresses up with ('a_person@host.com' in the shared curriculum's mailing-list exercise).
_PLACEHOLDER_DOMAINS = re.compile(
    r"(?:.+\.)?(?:example\.(?:com|org|net|edu)|[^.]+\.(?:example|test|invalid|localhost|local)"
    r"|(?:host|domain|yourdomain|mydomain|website|yourwebsite|company|yourcompany|yourschool|myschool|school|email|e-mail)\.(?:com|org|net|edu))",
    re.I,
)
# Mailboxes of an organisation, not of a person.
_ROLE_MAILBOXES = frozenset(
    """
    hello hi info information contact contactus contact-us support help helpdesk service customerservice
    admin administrator office webmaster postmaster hostmaster abuse security privacy legal press media
    news newsletter noreply no-reply donotreply do-not-reply team sales billing accounts enquiries inquiries
    feedback education edu partners community events registrar admissions careers jobs
    """.split()
)
_STAFF_CUE = re.compile(
    r"\b(?:teachers?|instructors?|professors?|coach(?:es)?|principals?|counsell?ors?|coordinators?|directors?"
    r"|staff|faculty|librarians?|administrators?|superintendents?|advisers?|advisors?|tutors?|facilitators?"
    r"|authors?|written by|prepared by|presenters?|speakers?|consultants?|specialists?|researchers?|editors?"
    r"|(?:Mr|Mrs|Ms|Mx|Dr)\b\.?|contact me|contact us|email me|reach me|office hours|for more information"
    r"|questions\?)",
    re.I,
)
_STUDENT_CUE = re.compile(
    r"\b(?:students?|pupils?|learners?|parents?|guardians?|mother|father|mom|dad|famil(?:y|ies)|child(?:ren)?"
    r"|son|daughter|emergency contact)\b",
    re.I,
)
_CUE_WINDOW = 100  # characters before a value in which its cue is looked for

_DIGITS = re.compile(r"\d")
# Seven digits or more with at most a few separators between them: a line worth handing to
# phonenumbers (it costs ~0.1 ms a candidate).
_PHONE_HINT = re.compile(r"\d(?:[ \t().\-/]{0,3}\d){6,}")
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_YEAR = r"(?:19|20)\d\d"
_DATE = (
    rf"(?:{_DAY}|1[0-2])[/.-]{_DAY}[/.-](?:{_YEAR}|\d\d)"  # 03/14/2011, 14.03.11
    rf"|{_YEAR}-(?:0?[1-9]|1[0-2])-{_DAY}"  # 2011-03-14
    rf"|{_MONTH} {_DAY}(?:st|nd|rd|th)?(?:,? {_YEAR})?"  # March 14, 2011 / March 14
    rf"|{_DAY}(?:st|nd|rd|th)? (?:of )?{_MONTH},? {_YEAR}"  # 14 March 2011
)
_DATE_RE = re.compile(rf"(?<![\w/.-])(?:{_DATE})(?![\w/-]|\.\d)", re.I)
_DOB = re.compile(
    rf"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birth\s*day|born(?:\s+on)?)\b[^\w]{{0,6}}"
    rf"(?:\((?:[mdy]{{1,4}}[/.-]?){{3}}\)\s*[:\-]?\s*)?(?P<date>{_DATE})(?![\w/-]|\.\d)",
    re.I,
)
_STUDENT_ID = re.compile(
    r"(?:\b(?:student|pupil|learner)[\s_-]*(?:id|identifier|number|no\.?|num|#)"
    r"|\bID\s*(?:#|no\.|number)|\b(?:SID|LASID|SASID|OSIS|NSN|UPN)\b|\blunch\s*(?:id|number|pin|code))"
    r"[\s:#.=-]{0,6}(?P<id>(?=[A-Za-z]{0,3}-?\d)[A-Za-z]{0,3}-?\d[\d-]{2,14}\d)\b",
    re.I,
)
_ID_HINTS = ("id", "student", "pupil", "learner", "sid", "osis", "nsn", "upn", "lunch")
_DOB_HINTS = ("dob", "d.o.b", "birth", "born")
_NAME_HINTS = ("name", "student", "pupil", "learner")
_NAME_FIELD = re.compile(
    r"(?:\b(?P<student>student|pupil|learner|child)(?:'s|’s)?\s+(?:full\s+|first\s+|last\s+|given\s+)?name"
    r"|^[\s#>*_\-•]*(?:full\s+)?name|^[\s#>*_\-•]*(?:student|pupil|learner))\s*(?:[:：]|\|)\s*",
    re.I,
)
# Where a field's value ends: a wide gap, a tab, a table bar, a blank to fill, the next label.
_FIELD_END = re.compile(r"\s{2,}|\t|\||_{2,}|\s+[A-Za-z][\w/]*\s?:|[;(]\s")


def _line_findings(line: _Line, prev: str, region: str) -> Iterator[Finding]:
    text = line.text
    if not text.strip():
        return
    claimed: list[tuple[int, int]] = []
    low = text.lower()
    # Cheap substring tests first: most lines hold none of the cues, and the patterns cost more.
    if _DIGITS.search(text):
        for m in _STUDENT_ID.finditer(text) if any(c in low for c in _ID_HINTS) else ():
            claimed.append(m.span("id"))
            yield Finding(Kind.STUDENT_ID, line.where, _mask_tail(m.group("id"), 2))
        window = f"{prev}\n{text}" if prev else text
        offset = len(window) - len(text)
        window_low = window.lower()
        for m in _DOB.finditer(window) if any(c in window_low for c in _DOB_HINTS) else ():
            if m.end("date") > offset:  # the date is on this line (its cue may end the previous)
                claimed.append((m.start("date") - offset, m.end("date") - offset))
                yield Finding(Kind.DATE_OF_BIRTH, line.where, _mask_date(m.group("date")))
    for m in _EMAIL.finditer(text) if "@" in text else ():
        local, domain = m.group(1), m.group(2)
        claimed.append(m.span())
        if _PLACEHOLDER_DOMAINS.fullmatch(domain) or local.lower() in _ROLE_MAILBOXES:
            continue
        if _staff_contact(text, m.start()):
            continue
        yield Finding(Kind.EMAIL, line.where, _mask_email(local, domain))
    if _PHONE_HINT.search(text):
        yield from _phones(line, text, claimed, region)
    m = _NAME_FIELD.search(text) if any(c in low for c in _NAME_HINTS) else None
    if m:
        value = _FIELD_END.split(text[m.end() :], maxsplit=1)[0].strip().rstrip(".")
        min_tokens = 1 if m.group("student") else 2
        # 'Lopez, Maria' whole, else what comes before a comma ('Maria Lopez, grade 5')
        for candidate in (value, value.split(",", 1)[0].strip()):
            if _is_person_name(candidate, min_tokens=min_tokens):
                yield Finding(Kind.STUDENT_NAME, line.where, _mask_name(candidate))
                break


def _phones(line: _Line, text: str, claimed: list[tuple[int, int]], region: str) -> Iterator[Finding]:
    import phonenumbers  # ~25 ms to import: only once some line has enough digits

    for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        if any(m.start < b and a < m.end for a, b in claimed):
            continue  # a student ID, a date or part of an address already accounts for it
        if _staff_contact(text, m.start):
            continue
        digits = re.sub(r"\D", "", phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
        yield Finding(Kind.PHONE, line.where, "***-***-" + digits[-4:])


def _staff_contact(text: str, start: int) -> bool:
    """Whether the nearest cue before position `start` on the line names a member of staff
    (a teacher's contact line) rather than a student or their family."""
    before = text[max(0, start - _CUE_WINDOW) : start]
    staff = [m.end() for m in _STAFF_CUE.finditer(before)]
    if not staff:
        return False
    student = [m.end() for m in _STUDENT_CUE.finditer(before)]
    return not student or staff[-1] > student[-1]


def _mask_email(local: str, domain: str) -> str:
    """'maria.lopez@students.lincoln.org' -> 'm***@s***.org'."""
    labels = domain.split(".")
    return f"{local[0]}***@{labels[0][0]}***.{labels[-1]}"


def _mask_date(value: str) -> str:
    """Every letter and digit hidden but the last two of a four-digit year: 'March 14, 2011' ->
    '***** **, **11', '2009-07-02' -> '**09-**-**'."""
    year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", value)
    keep = set(range(year.end() - 2, year.end())) if year else set()
    return "".join(c if i in keep or not c.isalnum() else "*" for i, c in enumerate(value))


def _mask_tail(value: str, keep: int) -> str:
    """Every letter and digit hidden except the last `keep`: '03/14/2011' -> '**/**/**11'."""
    positions = [i for i, c in enumerate(value) if c.isalnum()]
    hide = set(positions[: max(0, len(positions) - keep)])
    return "".join("*" if i in hide else c for i, c in enumerate(value))


# --- tables and lists ----------------------------------------------------------------------------

_MIN_ROSTER_ROWS = 3
_HEADER_NAME = re.compile(
    r"(?:student(?:'?s)?|pupils?|learners?|(?:student |full |first |last |given |family |sur)?names?"
    r"|first|last|surname|last,? first(?: names?)?|first,? last(?: names?)?)",
    re.I,
)
# 'Student ID' says whose number it is; a bare 'ID' or '#' column does only beside a name column.
_HEADER_STUDENT_ID = re.compile(
    r"(?:student|pupil|learner) ?(?:id|id ?#|id number|number|#|no\.?)|sid|lasid|sasid|osis|lunch (?:id|number|pin)", re.I
)
_HEADER_ID = re.compile(r"id|id ?#|id number|#|no\.?|number", re.I)
# Words that head columns of figures: a plain-text header line with one of them and no person
# ('Design Phases Points Earned') introduces a table of something else.
_FIGURE_COLUMNS = re.compile(
    r"\b(?:points?|pts|scores?|marks?|minutes|mins|weight|earned|total|percent|value|amount|count|quantity"
    r"|price|cost|time|duration|days?|hours?)\b|%",
    re.I,
)
_HEADER_DOB = re.compile(r"dob|d\.o\.b\.?|date of birth|birth ?date|birth ?day", re.I)
_TABLE_RULE = re.compile(r"\s*:?-{2,}:?\s*")
# A cell or token that is a mark, a score or an identifier rather than words.
_DATA = re.compile(
    rf"(?:\d+(?:\.\d+)?%?|\d+(?:\.\d+)?\s*/\s*\d+|[A-F][+-]?|P|F|I|INC|N/?A|-+|—|–"
    rf"|[A-Za-z]{{0,3}}-?\d{{3,}}|{_DATE})",
    re.I,
)
# What a gradebook row carries beside a name: a score, a letter grade, a student number or an
# address (a year alone, as in 'Grace Hopper, 1906', is not one).
_MARK = re.compile(r"\d{1,3}(?:\.\d+)?%?|\d+(?:\.\d+)?\s*/\s*\d+|[A-F][+-]?|[A-Za-z]{0,3}-?\d{5,}")
_LIST_ROW = re.compile(
    rf"\s*(?:[-*•+]|\d{{1,3}}[.)])?\s*(?P<name>{_LAST_FIRST.pattern}|{_FIRST_LAST.pattern})"
    r"(?:\s*[:–—-]\s*|,\s*|\s+)(?P<rest>\S.*)"
)
_TOKEN_SPLIT = re.compile(r"\s*[,;]\s*|\s+(?![/%])(?<![/])")
_HEADER_LINE = re.compile(r"\b(?:student|students|name|names|pupil|learner)\b", re.I)


@dataclass
class _Row:
    line: _Line
    cells: list[str]  # for list rows: [name, *data tokens]
    tabular: bool


@dataclass
class _Block:
    rows: list[_Row] = field(default_factory=list)
    header_before: str = ""  # the text line just above a block of list rows


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")
_LIST_HINT = re.compile(r"\d|@|\s[A-F][+-]?\s*$")


def _clean_cell(cell: str) -> str:
    if "[" in cell:
        cell = _MD_LINK.sub(r"\1\2", cell)
    return cell.strip().strip("*_`").strip()


def _as_row(line: _Line) -> _Row | None:
    text = line.text
    if "|" in text or "\t" in text:
        sep = "|" if "|" in text else "\t"
        body = text.strip()
        if sep == "|":
            body = body.removeprefix("|").removesuffix("|")
        cells = [_clean_cell(c) for c in body.split(sep)]
        if len(cells) >= 2:
            return _Row(line, cells, tabular=True)
        return None
    m = _LIST_ROW.fullmatch(text) if _LIST_HINT.search(text) else None
    if m:
        tokens = [t for t in _TOKEN_SPLIT.split(m.group("rest").strip()) if t]
        if all(_DATA.fullmatch(t) or _EMAIL.fullmatch(t) for t in tokens):
            return _Row(line, [m.group("name"), *tokens], tabular=False)
    return None


def _blocks(lines: list[_Line]) -> Iterator[_Block]:
    block = _Block()
    last_text = ""
    for line in lines:
        if not line.text.strip():
            continue
        row = _as_row(line)
        same = block.rows and row and row.tabular == block.rows[-1].tabular and line.section == block.rows[-1].line.section
        if row and (same or not block.rows):
            if not block.rows:
                block.header_before = last_text
            block.rows.append(row)
            continue
        if block.rows:
            yield block
        block = _Block()
        if row:
            block.header_before = last_text
            block.rows.append(row)
        last_text = line.text
    if block.rows:
        yield block


def _tables(lines: list[_Line]) -> Iterator[Finding]:
    for block in _blocks(lines):
        yield from _table_findings(block)


def _column(header: list[str], pattern: re.Pattern[str]) -> int | None:
    for i, cell in enumerate(header):
        if pattern.fullmatch(cell.strip().rstrip(":").strip()):
            return i
    return None


def _table_findings(block: _Block) -> Iterator[Finding]:
    rows = [r for r in block.rows if not all(_TABLE_RULE.fullmatch(c) or not c for c in r.cells)]
    if not rows:
        return
    first = rows[0]
    name_col = id_col = dob_col = None
    body = rows
    # A header says what the columns hold: under one that names no person, a column of
    # two-word phrases is a rubric's criteria ('Flow Chart | 4'), not a class list.
    headed = _is_header(first.cells) if first.tabular else _is_header(block.header_before.split())
    if first.tabular and headed:
        name_col = _column(first.cells, _HEADER_NAME)
        id_col = _column(first.cells, _HEADER_STUDENT_ID)
        if id_col is None and name_col is not None:
            id_col = _column(first.cells, _HEADER_ID)
        dob_col = _column(first.cells, _HEADER_DOB)
        body = rows[1:]
        if name_col is None and id_col is None and dob_col is None:
            return
    header_line = not first.tabular and headed and bool(_HEADER_LINE.search(block.header_before))
    if not first.tabular and headed and not header_line and _FIGURE_COLUMNS.search(block.header_before):
        return

    names: list[tuple[_Row, str]] = []
    for row in body:
        cells = row.cells
        if id_col is not None and id_col < len(cells) and re.fullmatch(r"[A-Za-z]{0,3}-?\d{4,}", cells[id_col]):
            yield Finding(Kind.STUDENT_ID, row.line.where, _mask_tail(cells[id_col], 2))
        if dob_col is not None and dob_col < len(cells) and _DATE_RE.fullmatch(cells[dob_col]):
            yield Finding(Kind.DATE_OF_BIRTH, row.line.where, _mask_date(cells[dob_col]))
        name = _row_name(row, name_col, header_line)
        if name:
            names.append((row, name))
    distinct = {n for _, n in names}
    if len(names) >= _MIN_ROSTER_ROWS and len(distinct) >= _MIN_ROSTER_ROWS:
        row, _ = names[0]
        shown = "; ".join(_mask_name(n) for _, n in names[:2])
        yield Finding(Kind.ROSTER, row.line.where, f"{len(names)} names: {shown}; …")


def _is_header(cells: list[str]) -> bool:
    """Whether a row (or a line's words) reads as column headings: a few short labels, no
    figures, no sentence."""
    cells = [c for c in cells if c]
    text = " ".join(cells)
    return 1 <= len(cells) <= 12 and len(text) <= 120 and not _DIGITS.search(text) and not re.search(r"[.!?]$", text)


def _row_name(row: _Row, name_col: int | None, header_line: bool) -> str | None:
    """The person's name a row carries, if it is a roster or gradebook row."""
    cells = row.cells
    if name_col is not None:  # under a 'Name' / 'Student' header, a first name alone will do
        cell = cells[name_col] if name_col < len(cells) else ""
        return cell if _is_person_name(cell, min_tokens=1) else None
    if row.tabular:
        candidates = [i for i, c in enumerate(cells) if _is_person_name(c, min_tokens=2)]
        if len(candidates) != 1:
            return None
        others = [c for i, c in enumerate(cells) if i != candidates[0] and c]
    else:
        candidates = [0]
        if not _is_person_name(cells[0], min_tokens=1 if header_line else 2):
            return None
        others = cells[1:]
    if (
        others
        and all(_DATA.fullmatch(c) or _EMAIL.fullmatch(c) for c in others)
        and any(_MARK.fullmatch(c) or _EMAIL.fullmatch(c) for c in others)
    ):
        return cells[candidates[0]]
    return None

