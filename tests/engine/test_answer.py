"""The answer engine over a real index of the bundled knowledge base (real model, real Chroma)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.engine import Engine, Filters
from bot.engine.evaluate import evaluate, load_questions, supports
from bot.engine.llm import LLMWriter, validate_citations
from bot.render import to_terminal
from ingest.domain import Source
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.stores import KnowledgeBase
from tests.conftest import KNOWLEDGE
from tests.fixtures import make_pdf

SAME_PASSAGE = (
    "Exit tickets for the estimation unit ask each student to round two numbers and explain which "
    "place value decided the rounding. Collect them at the door and sort them into three piles "
    "before planning the next lesson."
)


@pytest.fixture(scope="module")
def index(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("engine")
    folder = root / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    # a long form the documents repeat, which teachers abbreviate
    (folder / "plc.md").write_text(
        "# Team meeting notes\n\nOur professional learning community meets on Tuesdays. Each professional "
        "learning community brings one piece of student work and sorts it by the success criteria.\n",
        encoding="utf-8")
    # a sentence that introduces a list whose items share no word with the question
    (folder / "gallery-walk.md").write_text(
        "# Gallery walk protocol\n\nA gallery walk of finished choice-board products runs in three moves:\n\n"
        "1. Pin every poster at eye level around the room.\n2. Hand each visitor two sticky notes, one green "
        "and one yellow.\n3. Close with a two-minute circle where partners read their notes aloud.\n\n"
        "Afterwards, file the posters in the portfolio bin.\n", encoding="utf-8")
    # a sentence that points back to the one before it ("That is how...")
    (folder / "rain-stick.md").write_text(
        "# Classroom signals\n\nMr. Okafor keeps a rain stick on the windowsill beside the turtle tank. "
        "That is how his fourth graders know to freeze, put pencils down and look at the board.\n", encoding="utf-8")
    # the same passage as Markdown and as a PDF: one slot, not two
    (folder / "estimation.md").write_text(f"# Estimation Exit Tickets\n\n{SAME_PASSAGE}\n", encoding="utf-8")
    make_pdf(folder, "estimation.pdf", pages=[SAME_PASSAGE], title="Estimation Exit Tickets")
    settings = Settings(data_dir=root / "data", _env_file=None)
    report = Ingestor(settings, KnowledgeBase(settings), encoder).ingest_paths([folder])
    assert not report.failed
    return settings


@pytest.fixture
def engine(index, encoder):
    return Engine(index, KnowledgeBase(index), encoder)


def _bullets(text: str) -> list[tuple[str, list[int]]]:
    out = []
    for line in text.splitlines():
        cites = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        sentence = re.sub(r"\s*\[\d+\]", "", line).lstrip("• ").strip()
        out.append((sentence, cites))
    return out


def test_extractive_answer_only_quotes_cited_sources(engine: Engine):
    ans = engine.answer("How should I grade choice board work?")
    assert not ans.abstained and ans.sources
    # numbered 1..n, the cited ones first and without gaps; the list itself stays in ranked order
    assert sorted(s.n for s in ans.sources) == list(range(1, len(ans.sources) + 1))
    assert [s.n for s in ans.cited()] == list(range(1, len(ans.cited()) + 1))
    by_n = {s.n: s for s in ans.sources}
    for sentence, cites in _bullets(ans.text):
        assert cites, f"uncited sentence: {sentence!r}"
        assert all(sentence in " ".join(by_n[n].text.split()) for n in cites), sentence
    for s in ans.sources:
        assert s.quote and s.quote in s.text  # the quoted line is verbatim
        assert s.title and s.path
    assert ans.sources[0].doc_type == "guide"
    assert "grading" in ans.sources[0].path


def test_sources_carry_pages_and_sections(engine: Engine):
    ans = engine.answer("How do students source a primary document in the social studies lesson?")
    pdf = [s for s in ans.sources if s.path.endswith(".pdf")]
    assert pdf and all(isinstance(s.page, int) and s.page >= 1 for s in pdf)
    ans = engine.answer("How long should independent practice take?")
    assert any(s.section for s in ans.sources)


def test_out_of_scope_question_abstains(engine: Engine):
    for q in ("What is the capital of Australia?", "What is the recommended dosage of ibuprofen for adults?"):
        ans = engine.answer(q)
        assert ans.abstained, (q, ans.support)
        assert len(ans.sources) <= 2 and ans.abstention == "no_support"  # the closest material, shown as such
        shown = to_terminal(ans)  # the engine gives the reason; the renderer the words
        assert "knowledge base" in shown and "coach" in shown


def test_same_passage_in_two_formats_fills_one_slot(engine: Engine):
    ans = engine.answer("How should I use exit tickets for the estimation unit?", k=5)
    holding = [s for s in ans.sources if "explain which place value decided" in s.text]
    assert len(holding) == 1
    assert holding[0].path.endswith(".md")  # the cleanest format is quoted


@pytest.mark.parametrize(
    "filters, check",
    [
        (Filters(type="choice_board"), lambda s: s.doc_type == "choice_board"),
        (Filters(grade="5"), lambda s: s.grade in ("5", "", "K-12") or s.grade.startswith(("3-", "K-"))),
        (Filters(subject="science"), lambda s: s.subject in ("science", "")),
        (Filters(types=("lesson_template", "guide")), lambda s: s.doc_type in ("lesson_template", "guide")),
    ],
)
def test_filters_restrict_sources(engine: Engine, filters: Filters, check):
    ans = engine.answer("How do students choose what to work on?", filters, k=8)
    assert ans.sources
    assert all(check(s) for s in ans.sources), [(s.doc_type, s.grade, s.subject) for s in ans.sources]


def test_grade_filter_matches_bands(engine: Engine):
    ans = engine.answer("What does a read-aloud lesson look like?", Filters(grade="1"), k=5)
    assert ans.sources and all(s.grade in ("K-2", "K-12", "") for s in ans.sources)


def test_follow_up_uses_the_conversation(engine: Engine):
    history = [("user", "What does a K-2 read-aloud lesson look like?"), ("assistant", "• ... [1]")]
    ans = engine.answer("how long is it?", history=history)
    assert ans.standalone_question and "read-aloud" in ans.standalone_question
    assert not ans.abstained
    assert any("read-aloud" in s.path for s in ans.sources)


# --- LLM answers: LangChain's own fake chat models, real strings ------------------------------

def _sources() -> list[Source]:
    return [Source(n=i, title=f"Doc {i}", path=f"/d{i}.md", page=None, section="", quote="q", text="t", score=1.0)
            for i in (1, 2)]


def test_validate_citations_removes_unknown_markers():
    text, valid = validate_citations("Use exit tickets [1]. Group by need [3]. Confer weekly [1, 2, 7].", _sources())
    assert text == "Use exit tickets [1]. Group by need. Confer weekly [1][2]."
    assert valid == 3
    assert validate_citations("No sources here [9].", _sources()) == ("No sources here.", 0)


def test_llm_answer_with_valid_citations_is_used(engine: Engine):
    fake = FakeListChatModel(responses=["- The unit of grading is the competency, not the number of squares [1] [5]."])
    llm_engine = Engine(engine.settings, engine.kb, engine.encoder, writer=LLMWriter(fake))
    ans = llm_engine.answer("How should I grade choice board work?")
    assert ans.mode == "llm"
    assert "[1]" in ans.text
    n = len(ans.sources)
    assert all(int(m) <= n for m in re.findall(r"\[(\d+)\]", ans.text))
    if n < 5:
        assert "[5]" not in ans.text


@pytest.mark.parametrize("reply", ["Grade the evidence [42].", "Grade the evidence.", "NOT_COVERED"])
def test_llm_answer_without_valid_citation_falls_back_to_extractive(engine: Engine, reply: str):
    llm_engine = Engine(engine.settings, engine.kb, engine.encoder, writer=LLMWriter(FakeListChatModel(responses=[reply])))
    ans = llm_engine.answer("How should I grade choice board work?")
    assert ans.mode == "extractive" and not ans.abstained
    assert re.search(r"\[\d+\]", ans.text)


def test_llm_rewrites_follow_up_with_condense_prompt(engine: Engine):
    standalone = "How long does the K-2 read-aloud lesson take?"
    reply = f"{engine.answer(standalone).sources[0].quote.strip()} [1]"  # grounded in the source it cites
    fake = FakeListChatModel(responses=[standalone, reply])
    llm_engine = Engine(engine.settings, engine.kb, engine.encoder, writer=LLMWriter(fake))
    ans = llm_engine.answer("how long is it?", history=[("user", "What does a K-2 read-aloud lesson look like?")])
    assert ans.standalone_question == standalone
    assert ans.text == reply and ans.mode != "extractive"


def test_llm_failure_falls_back(engine: Engine):
    class Broken(FakeListChatModel):
        def invoke(self, *a, **k):
            raise RuntimeError("provider down")

    llm_engine = Engine(engine.settings, engine.kb, engine.encoder, writer=LLMWriter(Broken(responses=["x"])))
    ans = llm_engine.answer("How should I grade choice board work?")
    assert ans.mode == "extractive" and ans.sources


def test_unknown_provider_is_a_clear_error(index):
    from ingest.errors import GuidepostError

    with pytest.raises(GuidepostError, match="provider:model"):
        LLMWriter.from_settings(index.model_copy(update={"llm": "gpt-4o-mini"}))


# --- eval -------------------------------------------------------------------------------------

def test_supports_folds_case_whitespace_and_quotes():
    assert supports("Teachers  said the\nboard’s tasks helped.", ["the board's tasks"])
    assert not supports("Teachers said nothing.", ["the board's tasks"])


def test_eval_metrics_and_baselines(engine: Engine, tmp_path: Path):
    qfile = tmp_path / "q.jsonl"
    rows = [
        {"id": "a1", "question": "How should I grade choice board work?", "kind": "answerable",
         "evidence": ["The unit of grading is the competency", "grade evidence, not squares", "against competencies rather than completion"], "source": "guides/grading-choice-board-work-against-competencies.md"},
        {"id": "a2", "question": "What should the exit ticket for the estimation unit ask?", "kind": "answerable",
         "evidence": ["round two numbers and explain"], "source": "estimation.md"},
        {"id": "o1", "question": "Who won the 2018 World Cup?", "kind": "out_of_scope"},
    ]
    qfile.write_text("\n".join(json.dumps(r) for r in rows))
    report = evaluate(engine, load_questions([qfile]), ["dense", "bm25"])
    m = report["metrics"]["guidepost"]
    assert m["questions"] == 3 and m["answerable"] == 2 and m["out_of_scope"] == 1
    assert m["recall@5"] == 1.0 and m["oos_abstention"] == 1.0 and m["false_abstention"] == 0.0
    assert 0 < m["mrr@10"] <= 1
    assert set(report["metrics"]) == {"guidepost", "baseline_dense", "baseline_bm25"}
    assert report["metrics"]["baseline_dense"]["oos_abstention"] == 0.0  # baselines never abstain
    assert [r["id"] for r in report["results"]] == ["a1", "a2", "o1"]


def test_an_empty_knowledge_base_says_so(tmp_path, encoder):
    settings = Settings(data_dir=tmp_path / "empty", _env_file=None)
    ans = Engine(settings, KnowledgeBase(settings), encoder).answer("How do I run a choice board?")
    assert ans.abstained and ans.sources == [] and ans.abstention == "empty_index"
    assert "knowledge base is empty" in to_terminal(ans)


# --- issue 8: the asker's words, the sentences that answer ------------------------------------

def test_an_acronym_the_documents_spell_out_reaches_them(engine: Engine):
    r = engine.retriever.search("What does our PLC bring to its meeting?")
    assert "professional learning community (PLC)" in r.searched
    assert r.hits[0].chunk.title == "Team meeting notes"
    ans = engine.answer("What does our PLC bring to its meeting?")
    assert "one piece of student work" in ans.text.splitlines()[0]


def test_abstention_still_shows_the_closest_material(engine: Engine):
    ans = engine.answer("Who won the 2018 World Cup?")
    assert ans.abstained and 1 <= len(ans.sources) <= 2
    assert all(s.quote in s.text for s in ans.sources)


@pytest.mark.parametrize("line, ok", [
    ("* [Project spec - Daily Planner][] ([docx][5])", False),
    ("Student Name: ______ Date: ______", False),
    ("Name: ____________  Period: ____", False),
    ("## How it works", False),
    ("|---|:-:|---|", False),
    ("**Bold**", False),
    ("Students write their name on the line and explain their reasoning: ______", True),
    ("The lighthouse warm-up has each student circle three words they misspelled last week.", True),
    ("| 9 | 36% | Student correctly uses lists | 2.04 2.05 |", True),
    # a PDF score sheet read as one block, a grade scale, a piece of a code block
    ("Mad Libs Grading Rubric\nStudent Name: ________ Date: ______\nProgram greets user 3\nTotal 60", False),
    ("96-100%=A+\n93-95%= A\n90-92%= A-\n86-89%= B+\n83-85%= B", False),
    ("```python\n    A Day in NYC: a Mad Lib.", False),
    ("Lessons Learned on District Implementation of Personalized, Competency-Based Learning", False),  # a PDF heading
    ("- Technology policy that enables safe internet access for all students", True),
    ("* Index cards for binary activity (at least 1 per student)", True),
    # prose a PDF wrapped at the page's width is quotable
    ("Districts are focusing on measuring levels of implementation and utilizing\ntwo common methods to monitor "
     "the progress\nand quality of implementation: educator surveys and classroom observations.", True),
])
def test_quotable_lines(line: str, ok: bool):
    from bot.engine.answer import quotable

    assert quotable(line, 0, len(line)) is ok


def test_a_table_header_row_is_not_quotable_but_its_rows_are():
    from bot.engine.answer import quotable

    text = "| Points | Criteria | Standard |\n|---|---|---|\n| 9 | Student correctly uses lists | 2.04 |"
    header_end = text.index("\n")
    row = text.rindex("| 9")
    assert not quotable(text, 0, header_end)
    assert quotable(text, row, len(text))


def test_every_point_of_an_answer_is_relevant_and_the_answer_leads_with_it(engine: Engine):
    ans = engine.answer("How long should independent practice take?")
    assert not ans.abstained
    first = ans.text.splitlines()[0]
    assert re.search(r"\bminutes?\b|practice", first, re.I), ans.text


def test_a_sentence_that_introduces_a_list_is_followed_by_its_items_in_order(engine: Engine):
    ans = engine.answer("How do I run a gallery walk of choice-board products?")
    lines = [sentence for sentence, _ in _bullets(ans.text)]
    lead = lines.index("A gallery walk of finished choice-board products runs in three moves:")
    assert lines[lead + 1 : lead + 4] == [
        "Pin every poster at eye level around the room.",
        "Hand each visitor two sticky notes, one green and one yellow.",
        "Close with a two-minute circle where partners read their notes aloud.",
    ], ans.text


def test_a_lead_that_points_back_is_preceded_by_the_sentence_it_points_to(engine: Engine):
    ans = engine.answer("How do fourth graders know to freeze, put pencils down and look at the board?")
    lines = [sentence for sentence, _ in _bullets(ans.text)]
    lead = lines.index("That is how his fourth graders know to freeze, put pencils down and look at the board.")
    assert lead > 0 and lines[lead - 1] == "Mr. Okafor keeps a rain stick on the windowsill beside the turtle tank.", ans.text


@pytest.mark.parametrize("text, intro", [
    ("Students will be able to...", True), ("Students will be able to…", True), ("Gather these materials:", True),
    ("**Materials:**", True), ("Students sort the cards.", False), ("Wait... then go.", False),
])
def test_a_colon_or_an_ellipsis_introduces_a_list(text: str, intro: bool):
    from bot.engine.answer import _introduces_list
    from bot.engine.retrieval import Unit

    assert _introduces_list(text, Unit(0, len(text), 0.0, 0.0)) is intro


def test_cross_validation_answers_each_fold_with_weights_fitted_on_the_others(engine: Engine, tmp_path: Path):
    from bot.engine.evaluate import cross_validate, fit_model, gather, tradeoff_table
    from bot.engine.ranking import Model

    rows = [
        ("a1", "How should I grade choice board work?", ["competenc"]),
        ("a2", "What should the exit ticket for the estimation unit ask?", ["round two numbers and explain"]),
        ("a3", "What does our PLC bring to its meeting?", ["one piece of student work"]),
        ("a4", "How long should independent practice take?", ["minutes"]),
    ]
    qfile = tmp_path / "q.jsonl"
    lines = [json.dumps({"id": i, "question": q, "kind": "answerable", "evidence": e}) for i, q, e in rows]
    lines += [json.dumps({"id": f"o{i}", "question": q, "kind": "out_of_scope"})
              for i, q in enumerate(["Who won the 2018 World Cup?", "What is the capital of Australia?"])]
    qfile.write_text("\n".join(lines))
    questions = load_questions([qfile])
    shipped = engine.model
    report = cross_validate(engine, questions, 2)
    assert engine.model is shipped  # the engine is left as it was
    assert len(report["thresholds"]) == 2 and report["folds"] == 2
    m = report["metrics"]["guidepost"]
    assert m["questions"] == 6 and "answer_has_evidence" in m and 0 <= m["answer_has_evidence"] <= 1
    assert [r["id"] for r in report["results"]] == ["a1", "a2", "a3", "a4", "o0", "o1"]
    assert "operating point" in tradeoff_table(report)

    model = fit_model(engine, gather(engine, questions))
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    assert again.ranker.weights == model.ranker.weights and 0.05 <= again.abstainer.threshold <= 0.95


def test_questions_trained_also_join_every_fold_and_are_never_scored(engine: Engine, tmp_path: Path, monkeypatch):
    import bot.engine.evaluate as evaluate

    def write(name: str, rows: list[tuple[str, str, str]]) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(json.dumps({"id": i, "question": q, "kind": k, "evidence": ["minutes"] if k == "answerable" else []})
                                  for i, q, k in rows))
        return path

    scored = write("scored.jsonl", [("a1", "How long should independent practice take?", "answerable"),
                                    ("a2", "How should I grade choice board work?", "answerable"),
                                    ("o1", "Who won the 2018 World Cup?", "out_of_scope"),
                                    ("o2", "What is the capital of Australia?", "out_of_scope")])
    extra = write("extra.jsonl", [("e1", "What does our PLC bring to its meeting?", "answerable"),
                                  ("x1", "How do I reset my email password?", "out_of_scope")])
    seen: list[set[str]] = []
    fit = evaluate.fit_model
    monkeypatch.setattr(evaluate, "fit_model", lambda eng, data: seen.append({d.question.id for d in data}) or fit(eng, data))
    report = evaluate.cross_validate(engine, load_questions([scored]), 2, train_also=load_questions([extra]))
    assert len(seen) == 2 and all({"e1", "x1"} <= ids for ids in seen)  # in every fold's fitting
    assert all({"a1", "a2", "o1", "o2"} - ids for ids in seen)  # each fit leaves its held-out fold out
    assert [r["id"] for r in report["results"]] == ["a1", "a2", "o1", "o2"] and report["trained_also"] == 2


def test_the_operating_point_caps_false_refusals_then_refuses_the_most_out_of_scope():
    import numpy as np

    from bot.engine.evaluate import MAX_FALSE_REFUSAL, choose_threshold

    answerable = np.array([0.2] + [0.5 + 0.02 * i for i in range(19)])  # one in twenty is weakly supported
    oos = np.array([0.1, 0.3, 0.45, 0.6, 0.9])
    t = choose_threshold(answerable, oos)
    assert np.mean(answerable < t) <= MAX_FALSE_REFUSAL  # 1/20 refused at most
    assert t == 0.46  # the lowest that refuses 0.1, 0.3 and 0.45; above 0.50 a second answerable one goes
    assert choose_threshold(np.array([0.01, 0.02]), np.array([0.5])) == 0.05  # nothing allowed: refuse least


def test_cited_sources_are_numbered_without_gaps():
    from ingest.domain.answers import Answer, Source

    def src(n: int) -> Source:
        return Source(n=n, title=f"T{n}", path=f"/p{n}", page=None, section="", quote="q", text=f"text {n}", score=1.0 / n)

    ans = Answer(question="q", text="• first [1]\n• third [3] and [3]", abstained=False, sources=[src(1), src(2), src(3)])
    ans.number_by_citation()
    assert ans.text == "• first [1]\n• third [2] and [2]"
    assert [(s.title, s.n) for s in ans.sources] == [("T1", 1), ("T2", 3), ("T3", 2)]  # ranked order kept
    assert [s.title for s in ans.shown_sources()] == ["T1", "T3"] and [s.n for s in ans.shown_sources()] == [1, 2]


@pytest.mark.parametrize("text, quote", [
    ("Influence of the COVID-19 Pandemic on Personalized, Competency-Based\nLearning\nThe interaction between "
     "the pandemic and these efforts changed education.", "The interaction between the pandemic and these efforts changed education."),
    ("Grading\nRubric\nThe project is graded on many aspects:", "The project is graded on many aspects:"),
    ("Districts are focusing on levels of implementation and utilizing\ntwo common methods.",
     "Districts are focusing on levels of implementation and utilizing\ntwo common methods."),
])
def test_heading_lines_a_pdf_glues_before_a_sentence_are_not_quoted(text: str, quote: str):
    from bot.engine.answer import after_heading_lines

    assert text[after_heading_lines(text, 0, len(text)):] == quote


def test_a_sentence_a_pdf_wraps_over_lines_is_one_point_on_one_line(engine: Engine):
    ans = engine.answer("How do students source and contextualize a primary document in social studies?")
    assert not ans.abstained
    assert any(s.path.endswith(".pdf") and "\n" in s.quote for s in ans.cited()), "the PDF's quote keeps its line breaks"
    assert all(line.startswith("• ") for line in ans.text.splitlines()), ans.text
