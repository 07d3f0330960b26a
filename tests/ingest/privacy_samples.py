"""Files that hold student personal data, made on the fly: the privacy scan's positive set.

Each `Sample` builds a real file (DOCX, PDF, PPTX, Markdown, text) and says which kinds of
finding must be reported in it, and where. The tests assert them one by one; the privacy
benchmark counts how many it catches. Every name, number and address here is invented (phone
numbers use the 555-01xx block reserved for fiction).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.privacy import Kind

STUDENTS = (
    ("Maria Lopez", "20231234", "mlopez27@students.lincolnhs.org", 92, 88),
    ("James Chen", "20231235", "jchen27@students.lincolnhs.org", 78, 85),
    ("Aaliyah Johnson", "20231236", "ajohnson27@students.lincolnhs.org", 95, 91),
    ("Dmitri Volkov", "20231237", "dvolkov27@students.lincolnhs.org", 67, 72),
    ("Priya Natarajan", "20231238", "pnatarajan27@students.lincolnhs.org", 88, 94),
    ("Sean O'Brien", "20231239", "sobrien27@students.lincolnhs.org", 81, 79),
)


@dataclass(frozen=True)
class Sample:
    name: str  # a file name: its suffix picks the loader
    build: Callable[[], bytes]
    # kind -> how many findings of it at least, and the location text of the first, if fixed
    expect: dict[Kind, int]
    where: dict[Kind, str] = field(default_factory=dict)


def _docx(build: Callable[[object], None]) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def roster_docx() -> bytes:
    def build(document) -> None:
        document.add_heading("Period 3 Class List", level=1)
        document.add_paragraph("Intro to Computer Science, fall semester.")
        rows = [("Student Name", "Student ID", "Period", "Email")]
        rows += [(n, i, "3", e) for n, i, e, _, _ in STUDENTS]
        table = document.add_table(rows=len(rows), cols=4)
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value

    return _docx(build)


def gradebook_markdown() -> bytes:
    lines = ["# Unit 2 Gradebook", "", "| Student | Quiz 1 | Quiz 2 | Average |", "| --- | --- | --- | --- |"]
    lines += [f"| {n} | {a} | {b} | {(a + b) / 2:.1f} |" for n, _, _, a, b in STUDENTS]
    return ("\n".join(lines) + "\n").encode()


def gradebook_last_first_markdown() -> bytes:
    """No header row: 'Last, First | score | grade' rows straight after a heading."""
    lines = ["# Retake list", ""]
    for n, _, _, a, _ in STUDENTS[:4]:
        first, last = n.split(" ", 1)
        lines.append(f"| {last}, {first} | {a}% | {'A' if a >= 90 else 'B' if a >= 80 else 'C'} |")
    return ("\n".join(lines) + "\n").encode()


def scores_list_text() -> bytes:
    lines = ["Scores from Friday's quiz, for the team meeting.", ""]
    lines += [f"{k}. {n} - {a}%" for k, (n, _, _, a, _) in enumerate(STUDENTS[:5], start=1)]
    return ("\n".join(lines) + "\n").encode()


def _pdf(pages: list[list[str]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def student_form_pdf() -> bytes:
    """Page 1 is a blank cover; the filled form is on page 2."""
    return _pdf(
        [
            ["Enrollment packet", "Fill in one form per student."],
            [
                "Student Information Form",
                "Student Name: Maria Lopez",
                "Date of Birth: 03/14/2011",
                "Student ID: 20231234",
                "Parent/Guardian phone: (617) 555-0134",
                "Parent email: d.lopez.family@gmail.com",
            ],
        ]
    )


def gradebook_pdf() -> bytes:
    lines = ["Quarter 1 grades", "Student Score Grade"]
    lines += [f"{n}   {a}   {'A' if a >= 90 else 'B'}" for n, _, _, a, _ in STUDENTS]
    return _pdf([lines])


def roster_pptx() -> bytes:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Team Meeting"
    first.placeholders[1].text = "Agenda: quiz results"
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Who needs a retake"
    rows = [("Name", "Score")] + [(n, str(a)) for n, _, _, a, _ in STUDENTS[:4]]
    frame = second.shapes.add_table(len(rows), 2, Inches(1), Inches(2), Inches(6), Inches(2))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            frame.table.cell(r, c).text = value
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def contact_notes_text() -> bytes:
    return (
        "Notes from the parent conference\n"
        "\n"
        "Maria's mother can be reached at 617.555.0188 or lopez.home@outlook.com after 5 pm.\n"
        "Maria was born on March 14, 2011 and joined the school in 2019.\n"
        "Her brother (DOB 2009-07-02) is in 8th grade; his lunch PIN is on file.\n"
        "Emergency contact: +44 20 7946 0958.\n"
    ).encode()


def iep_summary_docx() -> bytes:
    def build(document) -> None:
        document.add_heading("Accommodations summary", level=1)
        document.add_paragraph("Student: Jordan Ellis-Park")
        document.add_paragraph("ID#: 4457821    Birthdate: 7/2/2010")
        document.add_paragraph("Extended time on tests; preferential seating.")

    return _docx(build)


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "roster.docx",
        roster_docx,
        {Kind.ROSTER: 1, Kind.STUDENT_ID: 6, Kind.EMAIL: 6},
        {Kind.ROSTER: "line 4"},
    ),
    Sample("gradebook.md", gradebook_markdown, {Kind.ROSTER: 1}, {Kind.ROSTER: "line 5"}),
    Sample("retakes.md", gradebook_last_first_markdown, {Kind.ROSTER: 1}, {Kind.ROSTER: "line 3"}),
    Sample("quiz_scores.txt", scores_list_text, {Kind.ROSTER: 1}, {Kind.ROSTER: "line 3"}),
    Sample(
        "student_form.pdf",
        student_form_pdf,
        {Kind.STUDENT_NAME: 1, Kind.DATE_OF_BIRTH: 1, Kind.STUDENT_ID: 1, Kind.PHONE: 1, Kind.EMAIL: 1},
        {
            Kind.STUDENT_NAME: "page 2, line 2",
            Kind.DATE_OF_BIRTH: "page 2, line 3",
            Kind.STUDENT_ID: "page 2, line 4",
            Kind.PHONE: "page 2, line 5",
            Kind.EMAIL: "page 2, line 6",
        },
    ),
    Sample("q1_grades.pdf", gradebook_pdf, {Kind.ROSTER: 1}, {Kind.ROSTER: "page 1, line 3"}),
    Sample("team_meeting.pptx", roster_pptx, {Kind.ROSTER: 1}),
    Sample(
        "conference_notes.txt",
        contact_notes_text,
        {Kind.PHONE: 2, Kind.EMAIL: 1, Kind.DATE_OF_BIRTH: 2},
        {Kind.EMAIL: "line 3", Kind.PHONE: "line 3"},
    ),
    Sample(
        "accommodations.docx",
        iep_summary_docx,
        {Kind.STUDENT_NAME: 1, Kind.STUDENT_ID: 1, Kind.DATE_OF_BIRTH: 1},
    ),
)

# Text that looks like personal data and is not: every finding in it is a false alarm.
NOT_PERSONAL = """\
# Unit 3 Project Rubric
By Dana Whitfield, Lincoln High School CS department

Student Name: ______________________ Date: ____________
Name: ____________   Period: ____   Date: ____
DOB: __/__/____     Student ID: ____________
Parent/Guardian Name: __________________________

Instructor: Ms. Rivera, arivera@lincolnhs.org, (617) 555-0199, office hours Tuesday.
Questions? Email your teacher at d.whitfield@lincolnhs.org or call the main office at 617-555-0100.
Sign up with the code your teacher gives you; the invitation comes from hello@trinket.io.
Write to support@code.org if the editor does not load.

| Criteria | Points | Earned |
| --- | --- | --- |
| Code Quality | 10 | |
| Flow Chart | 4 | |
| Project Pitches | 6 | |
| Sub Total | 20 | |

Design Phases Points
Brainstorming 2
Project Pitches 6
Scenario Definitions 4
Implementation Plan 8

Players type their names: 'X' what is your name: Alice
Player 1's name: Pat
    # Name: birthday_song
Enter name email and hobbies: Alice a_person@host.com horses,traveling
Sample data: jane.q.public@example.com, someone@school.test

Due 03/14/2024. Unit 4 starts on 3/21/2024; the birthday_song lab is on 4/5/2021.
What month where you born in: March
Lesson 3.02 covers functions (ISBN 978-0-306-40615-7), 2019-2020 school year, 20 students.
Standards 3A-AP-17 and 3B-AP-10; room 1204; 1,024 bytes; version 2.10.1.
"""
