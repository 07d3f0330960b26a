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
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@tag_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def ingest(paths: tuple[Path, ...], doc_type: str | None, grade: str | None, subject: str | None, as_json: bool) -> None:
    """Index files and folders (recursively). Unchanged files are skipped; changed ones replaced;
    files deleted from an indexed folder are removed. Exit 1 when some files failed."""
    from ingest.domain import Tags
    from ingest.library import Library

    tags = Tags.parse(doc_type, grade, subject)
    library = Library(_settings())
    bar = _IngestProgress() if not as_json and sys.stderr.isatty() else None
    report = library.add_paths(paths, tags, progress=bar.update if bar else None, on_total=bar.start if bar else None)
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
        click.echo(f"{s.id}  {_one_line(s.title)}  [{tags}]  {_n(s.chunks, 'chunk')}  {_one_line(s.path or s.url or s.source_key)}")
    click.echo(_n(len(items), "document"))


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
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (one object per line for several questions).")
def ask(questions: tuple[str, ...], doc_type: str | None, grade: str | None, subject: str | None, as_json: bool) -> None:
    """Answer QUESTION(S) from the knowledge base, with numbered citations."""
    from ingest.domain import Filters, Tags

    from .engine import Engine
    from .render import answer_json, to_terminal

    if any(not q.strip() for q in questions):
        raise click.UsageError("the question is empty: guidepost ask \"How long should an exit ticket take?\"")
    Tags.parse(doc_type, grade, subject)  # bad values fail now, with the same messages as tags
    filters = Filters(type=doc_type, grade=grade, subject=subject)
    settings = _settings()
    engine = Engine.from_settings(settings)
    shown = {"help_contact": settings.help_contact, "scoped": not filters.is_empty()}
    for i, q in enumerate(questions):
        ans = engine.answer(q, filters)
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
@click.option("--json", "as_json", is_flag=True, help="Print per-question results and metrics as JSON.")
def eval_cmd(more_files: tuple[Path, ...], question_files: tuple[Path, ...], baselines: tuple[str, ...],
             folds: int | None, fit_path: Path | None, as_json: bool) -> None:
    """Measure retrieval, abstention and answers on question sets (format: docs/eval-format.md).

    Without --folds the shipped weights answer every question: on the questions they were fitted
    to, that is not a held-out figure. --folds K reports held-out figures."""
    from .engine import Engine
    from .engine.evaluate import cross_validate, evaluate, fit_model, gather, load_questions, metrics_table, tradeoff_table

    files = [*question_files, *more_files]
    if not files:
        raise click.UsageError("give at least one question file: guidepost eval --questions FILE...")
    questions = load_questions(files)
    engine = Engine.from_settings(_settings())
    if fit_path:
        model = fit_model(engine, gather(engine, questions))
        model.save(fit_path)
        click.echo(f"fitted on {len(questions)} questions, written to {fit_path}", err=True)
        return
    if folds:
        report = cross_validate(engine, questions, folds)
        if baselines:
            base = evaluate(engine, questions, baselines)
            report["metrics"].update({k: v for k, v in base["metrics"].items() if k.startswith("baseline_")})
    else:
        report = evaluate(engine, questions, baselines)
    if as_json:
        _emit_json(report)
    else:
        if folds:
            click.echo(f"cross-validated: {folds} folds, each answered by weights fitted on the other folds")
        click.echo(metrics_table(report))
        click.echo(tradeoff_table(report))


# --- Slack ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--http", "http_mode", is_flag=True, help="HTTP mode on /slack/events (needs SLACK_SIGNING_SECRET and a public URL).")
@click.option("--port", default=3000, show_default=True, type=int, help="Port for HTTP mode.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface for HTTP mode.")
def serve(http_mode: bool, port: int, host: str) -> None:
    """Run the Slack bot (Socket Mode unless --http)."""
    logging.getLogger("guidepost").setLevel(logging.INFO)  # "connected" / "listening on"
    from ingest.library import Library

    from .engine import Engine
    from .slack.run import serve as run_bot

    settings = _settings()
    library = Library(settings)  # what coaches add in Slack goes into the index the engine answers from
    run_bot(settings, lambda s: Engine(s, library.kb, library.encoder), library=library, http=http_mode, port=port, host=host)


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
