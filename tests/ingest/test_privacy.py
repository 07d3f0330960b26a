"""The student personal-data scan: what it catches in real files (with where, masked), and what
it must leave alone (blank templates, staff contacts, rubrics, exercises, the shared curriculum)."""

from __future__ import annotations

import re

import pytest

from ingest.errors import DocumentError, PersonalDataFound
from ingest.loaders import load_bytes, load_file
from ingest.privacy import Finding, Kind, Location, scan_document, scan_text
from tests.ingest.privacy_samples import NOT_PERSONAL, SAMPLES, STUDENTS, Sample


def kinds(findings: tuple[Finding, ...]) -> list[Kind]:
    return [f.kind for f in findings]


def one(text: str, kind: Kind) -> Finding:
    found = [f for f in scan_text(text).findings if f.kind is kind]
    assert len(found) == 1, (text, scan_text(text).findings)
    return found[0]


# --- the positive files -------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_files_are_caught_where_they_hold_personal_data(sample: Sample, settings):
    doc = load_bytes(sample.build(), sample.name, settings, source_key=sample.name)
    report = scan_document(doc)
    counts = report.counts()
    for kind, n in sample.expect.items():
        assert counts.get(kind, 0) >= n, f"{sample.name}: expected {n} {kind}, got {report.findings}"
    assert set(counts) == set(sample.expect), f"{sample.name}: unexpected kinds {report.findings}"
    for kind, where in sample.where.items():
        assert str(next(f for f in report.findings if f.kind is kind).location) == where


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_no_raw_value_leaks_into_findings_or_the_summary(sample: Sample, settings):
    doc = load_bytes(sample.build(), sample.name, settings, source_key=sample.name)
    report = scan_document(doc)
    shown = report.summary(examples=100) + " ".join(str(f) for f in report.findings)
    for name, student_id, email, _, _ in STUDENTS:
        for secret in (name, *name.split(), student_id, email, email.split("@")[0]):
            assert secret not in shown
    for secret in ("555-0134", "555-0188", "03/14/2011", "March 14", "lopez.home", "4457821", "Jordan"):
        assert secret not in shown


def test_findings_name_the_page_of_a_pdf_and_the_slide_of_a_deck(settings):
    pdf = next(s for s in SAMPLES if s.name == "student_form.pdf")
    report = scan_document(load_bytes(pdf.build(), pdf.name, settings, source_key="x"))
    assert {f.location.page for f in report.findings} == {2}  # page 1 is a blank cover
    deck = next(s for s in SAMPLES if s.name == "team_meeting.pptx")
    report = scan_document(load_bytes(deck.build(), deck.name, settings, source_key="y"))
    assert [f.location.slide for f in report.findings] == [2]


def test_line_numbers_count_over_the_whole_text_of_a_document_without_pages(settings):
    text = "# Notes\n\nFirst paragraph.\n\n## Contact\n\nCall 617-555-0142 tonight.\n"
    doc = load_bytes(text.encode(), "notes.md", settings, source_key="n")
    assert len(doc.sections) == 2
    (finding,) = scan_document(doc).findings
    assert finding.location == Location(line=7)
    assert doc.text.split("\n")[finding.location.line - 1].startswith("Call 617")


# --- each kind, its formats and its masking -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Send it to maria.lopez@students.lincoln.k12.ma.us please", "m***@s***.us"),
        ("mailto:jchen27@gmail.com", "j***@g***.com"),
        ("<a.b+tag@school-district.org>", "a***@s***.org"),
    ],
)
def test_email_addresses_are_found_and_masked(text, masked):
    assert one(text, Kind.EMAIL).masked == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Home: (617) 555-0134", "***-***-0134"),
        ("cell 617.555.0134", "***-***-0134"),
        ("call +1 312 555 0175 ext. 12 after school", "***-***-0175"),
        ("Grandmother: +44 20 7946 0958", "***-***-0958"),
    ],
)
def test_phone_numbers_are_found_and_masked(text, masked):
    assert one(text, Kind.PHONE).masked == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("DOB: 03/14/2011", "**/**/**11"),
        ("Date of birth (mm/dd/yyyy): 3/4/2012", "*/*/**12"),
        ("She was born on March 14, 2011.", "***** **, **11"),
        ("Birthday: June 2", "**** *"),
        ("birthdate 2011-03-14", "**11-**-**"),
        ("Date of Birth\n14 March 2011", "** ***** **11"),
    ],
)
def test_dates_of_birth_need_their_cue(text, masked):
    assert one(text, Kind.DATE_OF_BIRTH).masked == masked


@pytest.mark.parametrize(
    "text",
    ["Due 03/14/2011", "born in March", "Born to code: 2011 edition", "the 3/14/2011 birthday_song lab"],
)
def test_dates_without_a_birth_cue_are_not_dates_of_birth(text):
    assert Kind.DATE_OF_BIRTH not in kinds(scan_text(text).findings)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Student ID: 20231234", "******34"),
        ("student #: 4457821", "*****21"),
        ("ID# S-0098812", "*-*****12"),
        ("LASID 1029384756", "********56"),
        ("Lunch PIN: 48213", "***13"),
    ],
)
def test_student_ids_need_their_cue(text, masked):
    finding = one(text, Kind.STUDENT_ID)
    assert finding.masked == masked
    assert Kind.PHONE not in kinds(scan_text(text).findings)  # ten digits after 'LASID' are not a phone


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Student Name: Maria Lopez", "M**** L****"),
        ("STUDENT NAME: Maria Lopez    Date: 9/1/2025", "M**** L****"),
        ("Student's first name: Aaliyah", "A******"),
        ("Name: Dmitri Volkov   Period: 3", "D***** V*****"),
        ("Student | Sean O'Brien | Period 2", "S*** O'B****"),
        ("Student: Lopez, Maria", "L****, M****"),
        ("Student name: Maria Lopez, grade 5", "M**** L****"),
    ],
)
def test_filled_student_name_fields(text, masked):
    assert one(text, Kind.STUDENT_NAME).masked == masked


@pytest.mark.parametrize(
    "text",
    [
        "Student Name: ______________________ Date: ____________",
        "Name: ____ Date: ____",
        "Student Name:",
        "Name: Maria",  # a plain name field needs a first and a last name
        "Student: Responsibilities",
        "Students: will pair up for the lab",
        "    # Name: birthday_song",
        "Player 1's name: Pat",
        "By Dana Whitfield",
        "Author: Dana Whitfield, Ed.D.",
        "Teacher Name: Dana Whitfield",
    ],
)
def test_blank_templates_bylines_and_other_names_are_not_findings(text):
    assert scan_text(text).findings == ()


def test_a_blank_template_file_is_clean(settings, tmp_path):
    path = tmp_path / "template.md"
    path.write_text(NOT_PERSONAL)
    report = scan_document(load_file(path, settings))
    assert report.findings == (), report.summary()


# --- contacts that are not student data -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Instructor: Ms. Rivera, arivera@lincolnhs.org, (617) 555-0199",
        "Questions? Email your teacher at d.whitfield@lincolnhs.org",
        "Students should email the teacher at d.whitfield@lincolnhs.org",
        "Office hours: 617-555-0100",
        "Write to support@code.org if the editor does not load.",
        "Open the invitation from hello@trinket.io.",
        "Enter name email and hobbies: Alice a_person@host.com horses,traveling",
        "e.g. jane.q.public@example.com or someone@school.test",
    ],
)
def test_staff_contacts_role_mailboxes_and_made_up_addresses_are_not_findings(text):
    assert scan_text(text).findings == ()


@pytest.mark.parametrize(
    "text",
    [
        "Teacher: Ms. Rivera. Student: Maria, mlopez27@students.lincolnhs.org",
        "Ms. Rivera asked that the parent email d.lopez.family@gmail.com be used",
        "Emergency contact: 617-555-0142",
        "Parent contact: d.lopez.family@gmail.com",
    ],
)
def test_a_student_or_family_cue_nearer_than_a_staff_one_wins(text):
    assert scan_text(text).findings != ()


# --- rosters and gradebooks -----------------------------------------------------------------------------


def test_a_roster_needs_three_names():
    rows = ["| Student | Score |", "| --- | --- |", "| Maria Lopez | 92 |", "| James Chen | 88 |"]
    assert scan_text("\n".join(rows)).findings == ()
    rows.append("| Aaliyah Johnson | 95 |")
    (finding,) = scan_text("\n".join(rows)).findings
    assert finding.kind is Kind.ROSTER
    assert finding.location == Location(line=3)
    assert finding.masked.startswith("3 names: M**** L****; J**** C***")


def test_under_a_name_header_first_names_alone_make_a_roster():
    text = "First | Last | Period\n--|--|--\nMaria | Lopez | 3\nJames | Chen | 3\nPriya | Natarajan | 4"
    assert kinds(scan_text(text).findings) == [Kind.ROSTER]


def test_id_and_birth_date_columns_are_read_from_the_header():
    text = "Student ID\tDOB\tScore\n20231234\t03/14/2011\t92\n20231235\t07/02/2010\t88"
    found = scan_text(text).findings
    assert kinds(found).count(Kind.STUDENT_ID) == 2
    assert kinds(found).count(Kind.DATE_OF_BIRTH) == 2


@pytest.mark.parametrize(
    "text",
    [
        # criteria under a header that names no person
        "| Design Phases | Points |\n| --- | --- |\n| Flow Chart | 4 |\n| Project Pitches | 6 |\n| Implementation Plan | 8 |",
        # the same as plain lines, the way a PDF comes out
        "Design Phases Points\nFlow Chart 4\nProject Pitches 6\nImplementation Plan 8\nScenario Definitions 4",
        # headerless rows whose other cells are words, not marks
        "| Maria Lopez | wrote the opening scene |\n| James Chen | drew the map |\n| Priya Natarajan | tested it |",
        # two-word cells that are curriculum words
        "| Code Quality | 10 |\n| Test Coverage | 5 |\n| Style Guide | 5 |",
        # a list of famous people with years
        "Famous computer scientists:\n- Grace Hopper, 1906\n- Alan Turing, 1912\n- Ada Lovelace, 1815",
    ],
)
def test_tables_that_are_not_rosters(text):
    assert Kind.ROSTER not in kinds(scan_text(text).findings)


@pytest.mark.parametrize("heading", ["Quiz 3", "Retake list", "Who still owes the lab"])
def test_a_headerless_gradebook_is_a_roster(heading):
    text = f"{heading}\n\nMaria Lopez  92  A\nJames Chen  88  B+\nAaliyah Johnson  95  A\n"
    assert kinds(scan_text(text).findings) == [Kind.ROSTER]


def test_an_id_column_is_a_student_id_only_when_the_header_says_so_or_names_sit_beside_it():
    tasks = "ID | Task | Minutes\n--|--|--\n1001 | Warm-up | 5\n1002 | Lab | 30"
    assert scan_text(tasks).findings == ()
    roster = "Name | ID\n--|--\nMaria Lopez | 1001\nJames Chen | 1002\nPriya Natarajan | 1003"
    assert kinds(scan_text(roster).findings) == [Kind.STUDENT_ID] * 3 + [Kind.ROSTER]


# --- the error that refuses the file --------------------------------------------------------------------


def test_the_report_becomes_a_document_error_that_says_personal_data(settings):
    sample = next(s for s in SAMPLES if s.name == "student_form.pdf")
    report = scan_document(load_bytes(sample.build(), sample.name, settings, source_key="f"))
    error = report.error("student_form.pdf")
    assert isinstance(error, PersonalDataFound) and isinstance(error, DocumentError)
    assert error.report is report
    message = str(error)
    assert message.startswith("student_form.pdf was not indexed") and "personal data" in message
    assert "1 phone number (page 2, line 5: ***-***-0134)" in message
    assert re.search(r"1 email address \(page 2, line 6: d\*\*\*@g\*\*\*\.com\)", message)


def test_the_summary_counts_and_shows_a_few_examples():
    text = "\n".join(f"{n}: {e}" for n, _, e, _, _ in STUDENTS)  # 'Maria Lopez: m...@...'
    report = scan_text(text)
    summary = report.summary(examples=2)
    assert summary.startswith("6 email addresses (line 1: m***@s***.org; line 2: j***@s***.org; …)")
    assert bool(report) and not bool(scan_text("nothing here"))


# --- the shared curriculum's near misses ----------------------------------------------------------------

NEAR_MISSES = [
    "corpus/teals-intro-cs-2/IntrotoCSSyllabusExample.docx",  # blank student and parent name fields
    "corpus/teals-intro-cs-2/units/1_unit/06_lesson/rubric.pdf",  # 'Student Name: ___ Date: ___'
    "corpus/teals-intro-cs-2/units/8_unit/rubric.pdf",  # criteria table as plain lines
    "corpus/teals-intro-cs-2/units/8_unit/rubric.md",  # criteria table under a header
    "corpus/teals-intro-cs-2/units/7_unit/05_lesson/projecta.md",  # made-up addresses at host.com
    "corpus/teals-intro-cs-2/units/1_unit/Trinket_Student.pdf",  # a vendor's hello@ address
    "corpus/teals-intro-cs-2/units/3_unit/03_lesson/lab.docx",  # "Player 1's name: Pat"
    "corpus/teals-intro-cs-2/units/1_unit/05_lesson/alt1/TEALS2018-Lab105.pdf",  # "born in: March"
]


@pytest.mark.parametrize("relative", NEAR_MISSES)
def test_shared_curriculum_files_that_look_personal_are_clean(relative, shared, settings):
    path = shared / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in the shared data")
    report = scan_document(load_file(path, settings))
    assert report.findings == (), report.summary()
