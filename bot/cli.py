"""The `guidepost` command line: ingest, sources, ask, eval, serve.

Heavy imports (torch, Chroma, Slack) happen inside the commands that need them, so
`guidepost --help` and `guidepost sources list` stay fast.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from ingest.errors import GuidepostError
from ingest.settings import Settings, load_settings


def _settings() -> Settings:
    """The settings; a bad environment variable exits 2 with its name (via `_Group`)."""
    return load_settings()


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


class _Group(click.Group):
    """Turns domain errors into one readable line (exit 2) instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GuidepostError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress and details to stderr.")
@click.version_option(package_name="guidepost")
def cli(verbose: bool) -> None:
    """Guidepost: cited answers for educators from your own knowledge base."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# --- ingest ----------------------------------------------------------------------------------
_tag_options = [
    click.option("--type", "doc_type", metavar="T", help="report, lesson_template, choice_board, guide or other."),
    click.option("--grade", metavar="G", help="K, 1-12 or a band such as 3-5."),
    click.option("--subject", metavar="S", help="e.g. math, science, ela."),
]


def tag_options(f):
    for opt in reversed(_tag_options):
        f = opt(f)
    return f


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@tag_options
@click.option("--standard", "standards", multiple=True, metavar="CODE",
              help="Tag with a standard code such as 3A-AP-17 (repeatable); codes the documents name are found anyway.")
@click.option("--review-by", metavar="YYYY-MM-DD", help="When a coach should check the documents are still current.")
@click.option("--allow-personal-data", is_flag=True,
              help="Index files even when they look like they hold student personal data (refused otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def ingest(paths: tuple[str, ...], doc_type: str | None, grade: str | None, subject: str | None,
           standards: tuple[str, ...], review_by: str | None, allow_personal_data: bool, as_json: bool) -> None:  # fmt: skip
    """Index files, folders (recursively) and web pages (https://… links). Unchanged files are
    skipped; changed ones replaced; files deleted from an indexed folder are removed. Files that
    look like they hold student personal data are refused (under `failed`) unless
    --allow-personal-data. Exit 1 when some failed."""
    from ingest.domain import Tags
    from ingest.library import Library
    from ingest.pipeline import Failed, Indexed

    from ingest.standards import parse_standards

    tags = Tags.parse(doc_type, grade, subject, review_by=review_by)
    codes = parse_standards(standards)
    links = [p for p in paths if _is_link(p)]
    files = [Path(p) for p in paths if not _is_link(p)]
    library = Library(_settings())
    bar = _IngestProgress() if not as_json and sys.stderr.isatty() and files else None
    if files:
        report = library.add_paths(
            files,
            tags,
            progress=bar.update if bar else None,
            on_total=bar.start if bar else None,
            allow_personal_data=allow_personal_data,
            standards=codes,
        )
    else:
        from ingest.pipeline import IngestReport

        report = IngestReport()
    for link in links:
        added = library.add_url(link, tags, allow_personal_data=allow_personal_data, standards=codes)
        if not added.ok:
            report.failed.append(Failed(link, added.reason))
        elif added.status == "unchanged":
            report.unchanged.append(link)
        else:
            report.indexed.append(Indexed(link, added.doc_id, added.title, added.chunks, added.tags.type or "other"))
    if bar:
        bar.close()
    if as_json:
        _emit_json(report.to_dict())
    else:
        for item in report.indexed:
            click.echo(f"indexed    {_one_line(item.path)}  ({_n(item.chunks, 'chunk')})")
        for gone in report.removed:
            click.echo(f"removed    {_one_line(gone.path)}")
        for skip in report.skipped:
            click.echo(click.style("skipped    ", fg="yellow") + f"{_one_line(skip.path)}: {skip.error}", err=True)
        for failure in report.failed:
            click.echo(click.style("failed     ", fg="red") + f"{_one_line(failure.path)}: {failure.error}", err=True)
        click.echo(
            f"{len(report.indexed)} indexed ({_n(report.chunks, 'chunk')}), {len(report.unchanged)} unchanged, "
            f"{len(report.failed)} failed"
            + (f", {len(report.skipped)} skipped" if report.skipped else "")
            + (f", {len(report.removed)} removed" if report.removed else "")
            + f" in {report.seconds:.1f} s"
        )
    sys.exit(1 if report.failed else 0)


def _is_link(arg: str) -> bool:
    return arg.lower().startswith(("http://", "https://"))


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def refresh(refs: tuple[str, ...], as_json: bool) -> None:
    """Fetch web pages added from a link again (the ids or links given, or all of them) and
    index again only those that changed. Exit 1 when some failed."""
    from ingest.library import Library

    results = Library(_settings()).refresh(refs)
    out: dict[str, list[Any]] = {"updated": [], "unchanged": [], "failed": []}
    for r in results:
        if not r.ok:
            out["failed"].append({"source": r.name, "error": r.reason})
        else:
            out["unchanged" if r.status == "unchanged" else "updated"].append(
                {"id": r.doc_id, "title": r.title, "url": r.url, "chunks": r.chunks})
    if as_json:
        _emit_json(out)
    else:
        for item in out["updated"]:
            click.echo(f"updated    {item['url']}  ({item['chunks']} chunks)")
        for failure in out["failed"]:
            click.echo(click.style("failed     ", fg="red") + f"{failure['source']}: {failure['error']}", err=True)
        click.echo(f"{len(out['updated'])} updated, {len(out['unchanged'])} unchanged, {len(out['failed'])} failed")
    sys.exit(1 if out["failed"] else 0)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _IngestProgress:
    """Files done out of files found, chunks stored, their rate, and the time left (by files)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=None, unit="file", desc="Indexing", file=sys.stderr, leave=False, mininterval=0)
        self.chunks = 0
        self.started = self.bar.start_t

    def start(self, files: int) -> None:
        self.bar.reset(total=files)
        self.bar.refresh()

    def update(self, files: int, chunks: int) -> None:
        self.chunks += chunks
        elapsed = max(self.bar.format_dict["elapsed"], 1e-6)
        self.bar.set_postfix_str(f"{_n(self.chunks, 'chunk')}, {self.chunks / elapsed:.1f} chunks/s", refresh=False)
        self.bar.update(files)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


# --- sources ---------------------------------------------------------------------------------
@cli.group()
def sources() -> None:
    """List or remove indexed documents."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def sources_list(as_json: bool) -> None:
    """Indexed documents, newest first."""
    from ingest.library import Library

    items = Library(_settings()).sources()
    if as_json:
        _emit_json({"sources": [s.to_dict() for s in items]})
        return
    if not items:
        click.echo("The knowledge base is empty. Add documents with `guidepost ingest PATH`.")
        return
    for s in items:
        tags = ", ".join(x for x in (s.type, f"grade {s.grade}" if s.grade else "", s.subject) if x)
        review = ""
        if s.review_by:
            review = f"  REVIEW OVERDUE (review by {s.review_by})" if s.overdue() else f"  review by {s.review_by}"
        click.echo(f"{s.id}  {_one_line(s.title)}  [{tags}]  {_n(s.chunks, 'chunk')}  added {s.to_dict()['added_at'][:10]}  "
                   f"{_one_line(s.path or s.url or s.source_key)}{review}")  # fmt: skip
    overdue = sum(1 for s in items if s.overdue())
    click.echo(_n(len(items), "document") + (f", {overdue} past their review date" if overdue else ""))


def _one_line(text: str) -> str:
    """A name as one printable line: a newline or other control character in a file name shows
    escaped (one document, one line)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@sources.command("remove")
@click.argument("id_or_path")
def sources_remove(id_or_path: str) -> None:
    """Remove a document by id (or id prefix) or by path."""
    from ingest.library import Library

    info = Library(_settings()).remove(id_or_path)
    click.echo(f"removed {info.id}  {info.title}")


@sources.command("check")
@click.option("--dry-run", is_flag=True, help="Only compare; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def sources_check(dry_run: bool, as_json: bool) -> None:
    """Compare the catalog, keyword index, vectors, sentence vectors and acronyms, and repair
    what differs. Documents that lost vectors are indexed again from their files. Exit 1 when
    something could not be repaired."""
    from ingest.library import Library

    library = Library(_settings())
    result = library.kb.consistency(repair=not dry_run)
    again = [library.kb.find(d) for d in result.stale]
    files = [Path(s.path) for s in again if s.path and Path(s.path).is_file()]
    left = [s for s in again if not (s.path and Path(s.path).is_file())]
    report = library.add_paths(files) if files and not dry_run else None
    unfixed = bool(report and report.failed) or bool(left) or (dry_run and not result.ok)
    if as_json:
        _emit_json({"before": result.before, "after": result.after, "problems": result.problems,
                    "reindexed": [i.path for i in report.indexed] if report else [],
                    "not_reindexed": [s.path or s.source_key for s in left], "ok": not unfixed})  # fmt: skip
    else:
        b = result.before
        click.echo(f"{b['documents']} documents, {b['chunks']} chunks; keyword index {b['keyword']} rows; "
                   f"vectors {b['vectors']}; sentence vectors for {b['chunks_with_sentences']} chunks; "
                   f"{b['aliases']} acronyms")  # fmt: skip
        if result.ok:
            click.echo("consistent")
        for kind, n in result.problems.items():
            click.echo(f"{'repaired' if not dry_run else 'found'}  {kind.replace('_', ' ')}: {n}")
        if report:
            for item in report.indexed:
                click.echo(f"indexed again  {item.path}")
            for failure in report.failed:
                click.echo(f"failed  {failure.path}: {failure.error}", err=True)
        for s in left:
            click.echo(f"to index again  {s.path or s.source_key}  ({s.title}: its file is not on this machine)", err=True)
    sys.exit(1 if unfixed else 0)


# --- ask / eval ------------------------------------------------------------------------------
@cli.command()
@click.argument("questions", nargs=-1, required=True)
@tag_options
@click.option("--standard", metavar="CODE", help="Only documents tagged with this standard code (e.g. 3A-AP-17).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (one object per line for several questions).")
def ask(questions: tuple[str, ...], doc_type: str | None, grade: str | None, subject: str | None, standard: str | None,
        as_json: bool) -> None:  # fmt: skip
    """Answer QUESTION(S) from the knowledge base, with numbered citations."""
    from ingest.domain import Filters, Tags

    from .engine import Engine
    from .render import answer_json, to_terminal

    if any(not q.strip() for q in questions):
        raise click.UsageError("the question is empty: guidepost ask \"How long should an exit ticket take?\"")
    Tags.parse(doc_type, grade, subject)  # bad values fail now, with the same messages as tags
    from ingest.library import Library
    from ingest.standards import parse_standard

    filters = Filters(type=doc_type, grade=grade, subject=subject, standard=parse_standard(standard) if standard else None)
    settings = _settings()
    engine = Engine.from_settings(settings)
    library = Library(settings, engine.kb, engine.encoder)
    shown = {"help_contact": settings.help_contact, "scoped": not filters.is_empty()}
    for i, q in enumerate(questions):
        ans = library.with_standards(engine.answer(q, filters))  # codes shown on citations
        if i == 0 and ans.abstention == "empty_index":
            _point_to_the_demo(settings.data_dir)
        if as_json:
            click.echo(json.dumps(answer_json(ans, **shown), indent=None if len(questions) > 1 else 2, ensure_ascii=False))
        else:
            if i:
                click.echo("\n" + "-" * 60 + "\n")
            click.echo(to_terminal(ans, **shown))


def _point_to_the_demo(data_dir: Path) -> None:
    """After `make demo`, the index is in .guidepost/demo, not the default data dir: say so."""
    demo = Path(".guidepost/demo").resolve()
    if (demo / "catalog.sqlite3").is_file() and demo != data_dir.resolve():
        click.echo(f"note: {data_dir} is empty, but `make demo` indexed into {demo}. To ask that index:\n"
                   f"  export GUIDEPOST_DATA_DIR={demo}", err=True)  # fmt: skip


@cli.command("eval")
@click.argument("more_files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--questions", "question_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSONL question set (repeatable; more files may follow).")
@click.option("--baseline", "baselines", multiple=True, type=click.Choice(["dense", "bm25"]),
              help="Also run plain dense or plain BM25 retrieval over the same index (repeatable).")
@click.option("--folds", type=click.IntRange(2, 20), default=None,
              help="Cross-validate: answer each of K folds with weights fitted on the others.")
@click.option("--fit", "fit_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fit the ranker, abstention model and sentence scorer to these questions and write them to FILE.")
@click.option("--train-also", "train_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Questions to fit on as well, never scored: in every fold with --folds, and with --fit.")
@click.option("--json", "as_json", is_flag=True, help="Print per-question results and metrics as JSON.")
def eval_cmd(more_files: tuple[Path, ...], question_files: tuple[Path, ...], baselines: tuple[str, ...],
             folds: int | None, fit_path: Path | None, train_files: tuple[Path, ...], as_json: bool) -> None:
    """Measure retrieval, abstention and answers on question sets (format: docs/eval-format.md).

    Without --folds the shipped weights answer every question: on the questions they were fitted
    to, that is not a held-out figure. --folds K reports held-out figures."""
    from .engine import Engine
    from .engine.evaluate import cross_validate, evaluate, fit_model, gather, load_questions, metrics_table, tradeoff_table

    files = [*question_files, *more_files]
    if not files:
        raise click.UsageError("give at least one question file: guidepost eval --questions FILE...")
    questions = load_questions(files)
    train_also = load_questions(train_files) if train_files else []
    if train_also and not (folds or fit_path):
        raise click.UsageError("--train-also needs --folds or --fit: without them nothing is fitted.")
    engine = Engine.from_settings(_settings())
    if fit_path:
        model = fit_model(engine, gather(engine, questions + train_also))
        model.save(fit_path)
        click.echo(f"fitted on {len(questions) + len(train_also)} questions, written to {fit_path}", err=True)
        return
    if folds:
        report = cross_validate(engine, questions, folds, train_also=train_also)
        if baselines:
            base = evaluate(engine, questions, baselines)
            report["metrics"].update({k: v for k, v in base["metrics"].items() if k.startswith("baseline_")})
    else:
        report = evaluate(engine, questions, baselines)
    if as_json:
        _emit_json(report)
    else:
        if folds:
            also = f" plus {len(train_also)} questions never scored" if train_also else ""
            click.echo(f"cross-validated: {folds} folds, each answered by weights fitted on the other folds{also}")
        click.echo(metrics_table(report))
        click.echo(tradeoff_table(report))


# --- Slack ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--http", "http_mode", is_flag=True, help="HTTP mode on /slack/events (needs SLACK_SIGNING_SECRET and a public URL).")
@click.option("--port", default=3000, show_default=True, type=int, help="Port for HTTP mode.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface for HTTP mode.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="HTTP mode: worker processes under uvicorn (each loads the model once).")  # fmt: skip
def serve(http_mode: bool, port: int, host: str, workers: int) -> None:
    """Run the Slack bot (Socket Mode unless --http)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    logging.getLogger("guidepost").setLevel(logging.INFO)  # "connected" / "listening on"
    from ingest.library import Library

    from .engine import Engine
    from .slack.http import engine_factory_from_env
    from .slack.run import serve as run_bot

    settings = _settings()
    if workers > 1 and not http_mode:
        raise click.UsageError("--workers needs --http (Socket Mode: run several `guidepost serve` processes).")
    factory = engine_factory_from_env()  # GUIDEPOST_ENGINE_FACTORY: tests and benches only
    if factory is not None:
        run_bot(settings, factory, http=http_mode, port=port, host=host, workers=workers)
        return
    library = Library(settings)  # what coaches add in Slack goes into the index the engine answers from
    run_bot(settings, lambda s: Engine(s, library.kb, library.encoder), library=library, http=http_mode, port=port,
            host=host, workers=workers)  # fmt: skip


@cli.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"groups": [{"count", "example", "questions", "handled"}]}.')
@click.option("--all", "show_all", is_flag=True, help="Include the groups a coach marked handled (text output).")
def gaps(as_json: bool, show_all: bool) -> None:
    """Questions the knowledge base could not answer (abstentions and 👎 in Slack), grouped by
    meaning, newest first."""
    from ingest.embeddings import Encoder
    from ingest.stores import GapStore

    settings = _settings()
    store = GapStore(settings.data_dir)
    groups = store.groups(Encoder.from_settings(settings).encode) if store.all() else []
    if as_json:
        _emit_json({"groups": [g.to_dict() for g in groups]})
        return
    shown = [g for g in groups if show_all or not g.handled]
    if not shown:
        click.echo("No open knowledge gaps.")
        return
    for g in shown:
        mark = "  (handled)" if g.handled else ""
        click.echo(f"{g.count:3d}  {g.example.text}{mark}")
        for q in g.questions:
            if q is not g.example:
                click.echo(f"       - {q.text}")
    click.echo(f"{len(shown)} groups, {sum(g.count for g in shown)} questions")


@cli.group()
def feedback() -> None:
    """Teachers' 👍 / 👎 votes on answers."""


@feedback.command("export")
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of JSON lines.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file (default: stdout).")
def feedback_export(as_csv: bool, output: Path | None) -> None:
    """Export votes with their question, answer and sources, for evaluation."""
    from ingest.stores.feedback import export_feedback

    n = export_feedback(output or sys.stdout, "csv" if as_csv else "jsonl", data_dir=_settings().data_dir)
    if output:
        click.echo(f"{n} votes written to {output}", err=True)


def main() -> None:
    cli(prog_name="guidepost")


if __name__ == "__main__":  # pragma: no cover
    main()
