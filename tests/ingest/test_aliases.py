"""Acronyms learned from documents: explicit definitions and repeated long forms."""

from __future__ import annotations

from ingest.aliases import extract, initials, question_acronyms


def pairs(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in extract(text):
        out.setdefault(a.abbr, set()).add(a.phrase.lower())
    return out


def test_initials_split_hyphens_and_camel_case():
    assert initials(["personalized,", "competency-based", "learning"], skip_function_words=False) == "PCBL"
    assert initials(["KnowledgeWorks"], skip_function_words=False) == "KW"
    assert initials(["Research", "for", "Action"], skip_function_words=True) == "RA"
    assert initials(["Research", "for", "Action"], skip_function_words=False) == "RFA"


def test_explicit_definitions_both_ways():
    found = pairs("The study was run by Research for Action (RFA). Later, PLC (professional learning community) time was used.")
    assert "research for action" in found["RFA"]
    assert "professional learning community" in found["PLC"]


def test_repeated_long_forms_are_keyed_by_their_initials():
    text = ("Personalized, competency-based learning asks a lot of teachers. Districts that adopt "
            "personalized, competency-based learning need professional development. Good professional "
            "development is job-embedded. KnowledgeWorks and KnowledgeWorks partners agree.")
    found = pairs(text)
    assert "personalized, competency-based learning" in found["PCBL"]
    assert "professional development" in found["PD"]
    assert "knowledgeworks" in found["KW"]


def test_a_phrase_seen_once_or_made_of_stopwords_is_not_an_alias():
    found = pairs("We need to do this. Next, the team met once to plan.")
    assert "ND" not in found and "NTD" not in found


def test_question_acronyms():
    assert question_acronyms("Our staff are confused about PCBL. Was PD common? I think A is fine, PCBL's core") == ["PCBL", "PD"]
