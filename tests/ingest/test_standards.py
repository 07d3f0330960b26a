"""Standard codes: found in text as written, normalised, validated when typed, read from a
curriculum's mapping table, and usable as a vector-store filter."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.errors import InvalidStandard, InvalidTags
from ingest.loaders import load_bytes, load_file
from ingest.standards import (
    MappedRow,
    find_standard_objects,
    find_standards,
    mapping_rows,
    parse_standard,
    parse_standards,
    standard_filter,
    standards_in,
    standards_metadata,
)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Lesson 4.06 meets 3B-AP-17.", ["3B-AP-17"]),
        ("| [3.01: Built In Functions][] | 3A-DA-10, 3B-AP-16, 3B-AP-13 |", ["3A-DA-10", "3B-AP-16", "3B-AP-13"]),
        ("Grades 6-8: 2-AP-10 and 1B-CS-01; level 1A: 1A-IC-16", ["2-AP-10", "1B-CS-01", "1A-IC-16"]),
        ("Word's dashes: 3A\u2013AP\u201317 and 3B\u2011AP\u201110", ["3A-AP-17", "3B-AP-10"]),
        ("CCSS.MATH.CONTENT.5.NF.A.1 then 5.NF.A.1 again", ["5.NF.A.1"]),
        ("K.CC.B.4, 6.RP.A.3a, 3.OA.7 and 8.F.B.4", ["K.CC.B.4", "6.RP.A.3a", "3.OA.7", "8.F.B.4"]),
        ("CCSS.MATH.CONTENT.HSF.IF.C.7a and HSA-SSE.A.1", ["HSF-IF.C.7a", "HSA-SSE.A.1"]),
        ("Practices MP.1 and CCSS.MATH.PRACTICE.MP3", ["MP.1", "MP.3"]),
        ("RL.5.1, CCSS.ELA-LITERACY.RI.7.4, RST.9-10.3, WHST.6-8.1", ["RL.5.1", "RI.7.4", "RST.9-10.3", "WHST.6-8.1"]),
        ("CCSS.ELA-LITERACY.W.8.2 names writing", ["W.8.2"]),
        ("NGSS MS-PS1-2, K-PS2-1, HS-LS1-1 and 3-5-ETS1-1", ["MS-PS1-2", "K-PS2-1", "HS-LS1-1", "3-5-ETS1-1"]),
    ],
)
def test_codes_are_found_normalised_and_deduplicated(text, codes):
    assert find_standards(text) == codes


@pytest.mark.parametrize(
    "text",
    [
        "Lesson 1.01, Lab 3.02, version 2.10.1, Python 3.11",
        "an mp3 file, a 3D-AP-17 typo, 4A-AP-17, 3A-XX-17",
        "Figure W.8.2 and table L.4.2 (too short to trust without the CCSS prefix)",
        "order ID 13A-AP-170, file v3A-AP-17x, 3A-AP-17.2",  # glued to more characters
        "ms-ps1-2 written in lower case in running text",
    ],
)
def test_things_that_are_not_codes(text):
    assert find_standards(text) == []


def test_each_code_knows_its_framework():
    found = {s.code: s.framework for s in find_standard_objects("3A-AP-17 5.NF.A.1 RL.5.1 MS-PS1-2")}
    assert found == {"3A-AP-17": "CSTA", "5.NF.A.1": "CCSS-M", "RL.5.1": "CCSS-ELA", "MS-PS1-2": "NGSS"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("3A-AP-17", "3A-AP-17"),
        ("3a-ap-17", "3A-AP-17"),
        (" 3B \u2013 AP \u2013 10 ", "3B-AP-10"),
        ("3A-AP-7", "3A-AP-07"),
        ("ccss.math.content.5.nf.a.1", "5.NF.A.1"),
        ("6.rp.a.3A", "6.RP.A.3a"),
        ("w.8.2", "W.8.2"),  # a coach typing a short ELA code means it
        ("ms-ps1-2", "MS-PS1-2"),
    ],
)
def test_typed_codes_are_normalised(typed, code):
    assert parse_standard(typed) == code


@pytest.mark.parametrize("typed", ["", "3C-AP-17", "3A-AP", "1.01", "5.XX.A.1", "3A-AP-17, 3B-AP-10", "hello"])
def test_typed_values_that_are_not_one_code_are_refused(typed):
    with pytest.raises(InvalidStandard, match="is not a standard code Guidepost knows") as info:
        parse_standard(typed)
    assert isinstance(info.value, InvalidTags)  # the CLI and the bot already explain bad tags


def test_several_typed_codes():
    assert parse_standards(["3a-ap-17", "3A-AP-17, 3b-ap-10", "MS-PS1-2"]) == ["3A-AP-17", "3B-AP-10", "MS-PS1-2"]
    assert parse_standards(None) == [] and parse_standards("") == []
    with pytest.raises(InvalidStandard):
        parse_standards("3A-AP-17 nonsense")


def test_a_documents_codes_include_its_title(settings):
    text = "# Loops lab (3B-AP-16)\n\nUse nested loops. Also covers 3A-AP-14 and 3B-AP-16.\n"
    doc = load_bytes(text.encode(), "lab.md", settings, source_key="lab")
    assert standards_in(doc) == ["3B-AP-16", "3A-AP-14"]


def test_mapping_rows_resolve_reference_and_inline_links():
    text = """\
| Lesson | Standard |
| --- | -- |
| [1.01: Set Up][] | 3A-CS-02 |
| [Lists](units/2/lists.md) | 3A-AP-14, 3B-AP-10 |
| Culture day | |
| Plain label | 3B-AP-17 |

[1.01: Set Up]: units/1_unit/01_lesson/lesson.md
"""
    assert mapping_rows(text) == [
        MappedRow("1.01: Set Up", ("3A-CS-02",), "units/1_unit/01_lesson/lesson.md"),
        MappedRow("Lists", ("3A-AP-14", "3B-AP-10"), "units/2/lists.md"),
        MappedRow("Plain label", ("3B-AP-17",), None),
    ]


def test_the_shared_curriculum_mapping_file(shared, settings):
    path = shared / "corpus" / "teals-intro-cs-2" / "CSTA_standards_mapping.md"
    if not path.exists():
        pytest.skip("the mapping file is not in the shared data")
    doc = load_file(path, settings)
    codes = standards_in(doc)
    assert {"3A-AP-14", "3B-AP-17", "3A-CS-02", "3A-DA-09"} <= set(codes)
    assert all(c[:2] in {"3A", "3B"} for c in codes)  # a high-school course
    rows = mapping_rows(doc.text)
    first = next(r for r in rows if r.label.startswith("1.01"))
    assert first == MappedRow("1.01: Set Up", ("3A-CS-02",), "units/1_unit/01_lesson/lesson.md")
    assert (path.parent / first.target).is_file()


def test_metadata_keys_filter_a_real_chroma_collection():
    import chromadb

    client = chromadb.EphemeralClient()
    col = client.create_collection("standards-filter-test", embedding_function=None)
    col.add(
        ids=["a", "b", "c"],
        embeddings=np.eye(3, dtype=np.float32).tolist(),
        metadatas=[
            {"doc": "a", **standards_metadata(["3A-AP-17", "3B-AP-10"])},
            {"doc": "b", **standards_metadata(["3B-AP-10"])},
            {"doc": "c", **standards_metadata([])},
        ],
        documents=["a", "b", "c"],
    )
    assert sorted(col.get(where=standard_filter("3a-ap-17"))["ids"]) == ["a"]
    assert sorted(col.get(where=standard_filter("3B-AP-10"))["ids"]) == ["a", "b"]
    assert col.get(ids=["a"])["metadatas"][0]["standards"] == "3A-AP-17 3B-AP-10"
    with pytest.raises(InvalidStandard):
        standard_filter("not-a-code")
