"""The command line (Typer). Parses flags, calls the core, maps errors to exit codes."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .checklist import bundled_checklists, load_checklist
from .errors import ExitCode, InputError, SiteauditError
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .history import Baseline
    from .models import RunInfo
    from .store import Store

app = typer.Typer(
    name="siteaudit",
    help="Audit the official websites of medical organizations (Russia, Kazakhstan) against a "
    "checklist: completeness and freshness, with evidence for every finding.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
checklist_app = typer.Typer(help="List, show and validate checklists.", no_args_is_help=True)
registry_app = typer.Typer(help="Validate registry CSV files.", no_args_is_help=True)
app.add_typer(checklist_app, name="checklist")
app.add_typer(registry_app, name="registry")

err = Console(stderr=True)
out = Console()
DEFAULT_DB = Path("reports/siteaudit.db")
LANGS = ("ru", "kk", "en")


class _State:
    debug = False


state = _State()

# --- shared options ------------------------------------------------------------------------

DbOpt = Annotated[Path, typer.Option("--db", help="SQLite store of runs and results.")]
ChecklistOpt = Annotated[
    str,
    typer.Option(
        "--checklist",
        "-c",
        help="Checklist: 'auto' (by each row's country: RU -> ru-118n, KZ -> kz-medorg), "
        "a bundled id, or a path to a YAML file.",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Judge as of this date (YYYY-MM-DD); default today."),
]
AllowOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-network",
        help="Allow connections to this non-public network (CIDR, repeatable), e.g. 127.0.0.0/8.",
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang", help="Report language: ru, kk or en; default from the registry's country."
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file with settings (default ./siteaudit.toml if present)."),
]
MaxPagesOpt = Annotated[
    int | None, typer.Option("--max-pages", help="Pages per site at most [60].")
]
MaxDepthOpt = Annotated[int | None, typer.Option("--max-depth", help="Link depth at most [4].")]
ConcOpt = Annotated[int | None, typer.Option("--concurrency", help="Sites crawled at once [16].")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Processes that crawl and evaluate sites (with --render never, or no browser "
        "found), or evaluate them beside the crawl (with a browser); 0: all in this process "
        "[one per core].",
    ),
]
HostConcOpt = Annotated[
    int | None, typer.Option("--per-host-concurrency", help="Requests in flight per host [2].")
]
DelayOpt = Annotated[
    float | None, typer.Option("--delay", help="Seconds between requests to one host [0.25].")
]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", help="Seconds for one page at most [60].")
]
RobotsOpt = Annotated[
    bool,
    typer.Option(
        "--ignore-robots",
        help="Do not obey robots.txt (for auditors with a mandate; obeyed by default).",
    ),
]
CaOpt = Annotated[
    Path | None, typer.Option("--ca-bundle", help="Extra CA certificates (PEM) to trust.")
]
RenderOpt = Annotated[
    str | None,
    typer.Option(
        "--render",
        help="Browser rendering: auto (script-built pages + accessibility checks of key pages), "
        "never (HTTP only), always (every page) [auto].",
    ),
]
BrowserPathOpt = Annotated[
    str | None,
    typer.Option(
        "--browser-path",
        help="Chromium to use; default SITEAUDIT_BROWSER, Playwright's, /usr/bin/chromium.",
    ),
]


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--as-of {value!r} is not a date; write it as YYYY-MM-DD") from None


def _lang(value: str | None) -> str | None:
    if value is not None and value not in LANGS:
        raise InputError(f"--lang {value!r} is not supported; use one of {', '.join(LANGS)}")
    return value


def _settings(
    config: Path | None,
    *,
    allow: list[str] | None = None,
    max_pages: int | None = None,
    max_depth: int | None = None,
    concurrency: int | None = None,
    workers: int | None = None,
    per_host: int | None = None,
    delay: float | None = None,
    timeout: float | None = None,
    ca_bundle: Path | None = None,
    ignore_robots: bool = False,
    render: str | None = None,
    browser_path: str | None = None,
) -> Settings:
    if render is not None and render not in ("auto", "never", "always"):
        raise typer.BadParameter(f"{render!r}: use auto, never or always", param_hint="--render")
    overrides: dict[str, Any] = {
        "render": render,
        "browser_path": browser_path,
        "max_pages": max_pages,
        "max_depth": max_depth,
        "concurrency": concurrency,
        "workers": workers,
        "per_host_concurrency": per_host,
        "per_host_delay": delay,
        "page_timeout": timeout,
        "ca_bundle": str(ca_bundle) if ca_bundle else None,
        "allow_networks": tuple(allow) if allow else None,
        "obey_robots": False if ignore_robots else None,
    }
    return load_settings(config, **overrides)


# --- CI gates (history.py decides; these only parse and print) -----------------------------

FailUnderOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-under",
        min=0,
        max=100,
        help="Exit 1 when a reachable organization's completeness is below this (0-100).",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="With a gate: a site that could not be reached fails too."),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="YAML/CSV of accepted gaps (org id + item id): exit 1 on any absent item not in it.",
    ),
]
RegressionOpt = Annotated[
    bool,
    typer.Option(
        "--fail-on-regression",
        help="Exit 1 when an item is newly absent since the previous run of this registry.",
    ),
]


def _baseline(path: Path | None) -> Baseline | None:
    from .history import load_baseline

    return load_baseline(path) if path is not None else None


def _gate(
    store: Store,
    run: RunInfo,
    fail_under: float | None,
    strict: bool,
    baseline: Baseline | None,
    fail_on_regression: bool,
) -> int:
    """Print the gate's failures on stderr; the exit code (0 or 1)."""
    from .history import gate_run

    if fail_under is None and baseline is None and not fail_on_regression:
        return int(ExitCode.OK)
    result = gate_run(
        store,
        run,
        fail_under=fail_under,
        strict=strict,
        baseline=baseline,
        fail_on_regression=fail_on_regression,
    )
    for failure in result.failures[:50]:
        err.print(f"[red]gate:[/] {failure}", highlight=False, soft_wrap=True)
    if len(result.failures) > 50:
        err.print(f"[red]gate:[/] … and {len(result.failures) - 50} more", highlight=False)
    verdict = "failed" if result.failures else "passed"
    err.print(
        f"gate {verdict}: {len(result.failures)} failures over {result.checked} organizations"
        + (f"; {result.accepted} gaps accepted by the baseline" if baseline is not None else ""),
        highlight=False,
    )
    return int(ExitCode.THRESHOLD) if result.failures else int(ExitCode.OK)


# --- commands ------------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        out.print(f"siteaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    state.debug = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def scan(
    registry: Annotated[
        Path, typer.Argument(help="Registry CSV: id,name,url[,region,country,type,...]")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Report folder; default reports/<as-of date>."),
    ] = None,
    db: DbOpt = DEFAULT_DB,
    checklist: ChecklistOpt = "auto",
    as_of: AsOfOpt = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last unfinished run of this registry.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Scan the valid rows of a registry with errors.")
    ] = False,
    allow_network: AllowOpt = None,
    lang: LangOpt = None,
    csv_delimiter: Annotated[
        str, typer.Option("--csv-delimiter", help="CSV delimiter: ',' or ';' (Excel in RU/KZ).")
    ] = ",",
    config: ConfigOpt = None,
    max_pages: MaxPagesOpt = None,
    max_depth: MaxDepthOpt = None,
    concurrency: ConcOpt = None,
    workers: WorkersOpt = None,
    per_host_concurrency: HostConcOpt = None,
    delay: DelayOpt = None,
    timeout: TimeoutOpt = None,
    ca_bundle: CaOpt = None,
    ignore_robots: RobotsOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    render: RenderOpt = None,
    browser_path: BrowserPathOpt = None,
    screenshots: Annotated[
        bool,
        typer.Option(
            "--screenshots", help="Keep PNGs of the key pages in <out>/screenshots, linked."
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Scan only shard K of N (e.g. 2/4), split by id; combine with 'siteaudit merge'.",
        ),
    ] = None,
    fail_under: FailUnderOpt = None,
    strict: StrictOpt = False,
    baseline: BaselineOpt = None,
    fail_on_regression: RegressionOpt = False,
) -> None:
    """Crawl every organization of a registry, check it, store results, write reports.

    Exit code 1 when a gate (--fail-under, --baseline, --fail-on-regression) is missed.
    """
    from .console import scan_and_report
    from .scan import plan_scan
    from .store import Store

    if csv_delimiter not in (",", ";"):
        raise InputError(f"--csv-delimiter {csv_delimiter!r}: use ',' or ';'")
    settings = _settings(
        config,
        allow=allow_network,
        max_pages=max_pages,
        max_depth=max_depth,
        concurrency=concurrency,
        workers=workers,
        per_host=per_host_concurrency,
        delay=delay,
        timeout=timeout,
        ca_bundle=ca_bundle,
        ignore_robots=ignore_robots,
        render=render,
        browser_path=browser_path,
    )
    day = _as_of(as_of)
    if screenshots:
        shots = (out_dir or Path("reports") / day.isoformat()) / "screenshots"
        settings = settings.model_copy(update={"screenshots_dir": str(shots)})
    accepted = _baseline(baseline)
    plan = plan_scan(registry, checklist, skip_invalid=skip_invalid, shard=shard)
    for problem in plan.skipped_rows:
        err.print(f"[yellow]skipped:[/] {problem}", highlight=False)
    for warning in plan.registry.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    with Store(db) as store:
        index = scan_and_report(
            plan,
            store,
            settings,
            out_dir,
            console=err,
            checklist=checklist,
            as_of=day,
            resume=resume,
            lang=_lang(lang),
            csv_delimiter=csv_delimiter,
            quiet=quiet,
            debug=state.debug,
        )
        code = _gate(store, store.runs(1)[0], fail_under, strict, accepted, fail_on_regression)
    out.print(str(index), highlight=False)
    if code:
        raise typer.Exit(code)


def _stored_run(store: Store, db: Path, run_id: int | None) -> RunInfo:
    run = store.run(run_id) if run_id is not None else store.latest_run(finished=True)
    if run is None:
        raise InputError(f"{db}: the store holds no finished run yet; run 'siteaudit scan' first")
    return run


@app.command()
def diff(
    db: DbOpt = DEFAULT_DB,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run id; default the latest finished run.")
    ] = None,
    trend: Annotated[
        int, typer.Option("--trend", min=0, help="Show each region's trend over this many runs.")
    ] = 0,
    baseline: BaselineOpt = None,
    fail_on_regression: Annotated[
        bool,
        typer.Option(
            "--fail-on-regression", help="Exit 1 when an item is newly absent (unless accepted)."
        ),
    ] = False,
    strict: StrictOpt = False,
) -> None:
    """Compare a run with the previous run of the same registry: score changes, items newly
    missing or present, and (--trend N) each region's mean completeness over the last runs."""
    from .history import diff_from_store, diff_lines, trends_from_store
    from .store import Store

    if not db.is_file():
        raise InputError(f"{db}: no such store; run 'siteaudit scan' first or pass --db")
    accepted = _baseline(baseline)
    with Store(db) as store:
        run = _stored_run(store, db, run_id)
        trends = trends_from_store(store, run, trend) if trend else ()
        for line in diff_lines(diff_from_store(store, run), trends):
            out.print(line, highlight=False, soft_wrap=True)
        code = _gate(store, run, None, strict, accepted, fail_on_regression)
    if code:
        raise typer.Exit(code)


@app.command("baseline")
def baseline_cmd(
    out_file: Annotated[Path, typer.Argument(help="YAML file to write (accepted gaps).")],
    db: DbOpt = DEFAULT_DB,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run id; default the latest finished run.")
    ] = None,
) -> None:
    """Write a baseline that accepts every gap of a run, to pass to --baseline later."""
    from .history import baseline_text
    from .store import Store

    if not db.is_file():
        raise InputError(f"{db}: no such store; run 'siteaudit scan' first or pass --db")
    with Store(db) as store:
        run = _stored_run(store, db, run_id)
        text = baseline_text(store.iter_results(run.id))
    out_file.write_text(text, encoding="utf-8")
    out.print(str(out_file), highlight=False)


@app.command()
def report(
    db: DbOpt = DEFAULT_DB,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run id (see the store); default the latest run.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Report folder; default reports/<as-of date>."),
    ] = None,
    lang: LangOpt = None,
    csv_delimiter: Annotated[str, typer.Option("--csv-delimiter", help="',' or ';'.")] = ",",
) -> None:
    """Re-render the reports of a stored run, without crawling."""
    from .console import default_lang, write_run_reports
    from .store import Store

    if not db.is_file():
        raise InputError(f"{db}: no such store; run 'siteaudit scan' first or pass --db")
    with Store(db) as store:
        run = store.run(run_id) if run_id is not None else store.latest_run(finished=False)
        if run is None:
            raise InputError(f"{db}: the store holds no run yet; run 'siteaudit scan' first")
        report_lang = _lang(lang) or default_lang(r.org.country for r in store.iter_results(run.id))
        target = out_dir or Path("reports") / run.as_of.isoformat()
        index = write_run_reports(store, run, target, lang=report_lang, csv_delimiter=csv_delimiter)
    out.print(str(index), highlight=False)


@app.command()
def rescore(
    db: DbOpt = DEFAULT_DB,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run to rescore; default the latest finished run.")
    ] = None,
    checklist: Annotated[
        str | None,
        typer.Option(
            "--checklist", "-c", help="Checklist to apply (id, path or 'auto'); default the run's."
        ),
    ] = None,
    as_of: AsOfOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes [2].", min=1)] = 2,
) -> None:
    """Re-evaluate a stored run with a (changed) checklist, without crawling: a new run."""
    from .rescore import rescore_run
    from .store import Store

    if not db.is_file():
        raise InputError(f"{db}: no such store; run 'siteaudit scan' first or pass --db")
    day = _as_of(as_of) if as_of is not None else None
    with Store(db) as store:
        run = rescore_run(store, run_id, checklist=checklist, as_of=day, jobs=jobs)
    out.print(
        f"run {run.id}: {run.note}, {run.done} sites; "
        f"render it with 'siteaudit report --db {db} --run {run.id}'",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def merge(
    out_db: Annotated[Path, typer.Argument(help="Store to write the merged run into.")],
    inputs: Annotated[list[Path], typer.Argument(help="The shard stores (scan --shard K/N).")],
) -> None:
    """Combine the stores of a sharded scan into one run of one store."""
    from .merge import merge_stores

    run = merge_stores(out_db, inputs)
    out.print(
        f"run {run.id}: {run.note}; {run.done} sites; "
        f"render it with 'siteaudit report --db {out_db}'",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def check(
    url: Annotated[str, typer.Argument(help="The site's address, e.g. https://gkb1.ru/")],
    checklist: ChecklistOpt = "auto",
    country: Annotated[
        str, typer.Option("--country", help="RU or KZ (chooses the checklist with 'auto').")
    ] = "",
    as_of: AsOfOpt = None,
    allow_network: AllowOpt = None,
    lang: LangOpt = None,
    config: ConfigOpt = None,
    max_pages: MaxPagesOpt = None,
    max_depth: MaxDepthOpt = None,
    timeout: TimeoutOpt = None,
    ca_bundle: CaOpt = None,
    ignore_robots: RobotsOpt = False,
    render: RenderOpt = None,
    browser_path: BrowserPathOpt = None,
    screenshots: Annotated[
        Path | None,
        typer.Option("--screenshots", help="Keep PNGs of the key pages in this folder."),
    ] = None,
) -> None:
    """Check one site and print its findings as a table (nothing is stored)."""
    from .console import ScanProgress, default_lang, findings_table
    from .scan import check_one

    settings = _settings(
        config,
        allow=allow_network,
        max_pages=max_pages,
        max_depth=max_depth,
        timeout=timeout,
        ca_bundle=ca_bundle,
        ignore_robots=ignore_robots,
        render=render,
        browser_path=browser_path,
    )
    if screenshots is not None:
        settings = settings.model_copy(update={"screenshots_dir": str(screenshots)})
    with ScanProgress(err, 1) as progress:
        result, used = check_one(
            url,
            checklist,
            settings,
            as_of=_as_of(as_of),
            country=country,
            on_event=progress,
            debug=state.debug,
        )
    report_lang = _lang(lang) or default_lang([used.country])
    out.print(findings_table(result, used, report_lang))
    s = result.scores
    if result.status.reachable:
        out.print(
            f"status: ok · completeness {s.completeness} · freshness {s.freshness} · "
            f"newest news {s.newest_news or '—'}",
            highlight=False,
        )
    else:
        out.print(f"status: {result.status.value} ({result.status_detail}). {result.hint}")


@checklist_app.command("list")
def checklist_list() -> None:
    """List the bundled checklists."""
    table = Table("id", "country", "items", "title", "file")
    for cid, path in sorted(bundled_checklists().items()):
        c = load_checklist(path)
        table.add_row(cid, c.country, str(len(c.items)), c.title.en, str(path))
    out.print(table)


@checklist_app.command("show")
def checklist_show(
    ref: Annotated[str, typer.Argument(help="A bundled id (ru-118n) or a YAML path.")],
    lang: Annotated[str, typer.Option("--lang", help="Title language: ru, kk, en.")] = "en",
) -> None:
    """Show a checklist's items with their rules and legal citations."""
    c = load_checklist(ref)
    _lang(lang)
    out.print(f"[bold]{c.id}[/] {c.title.get(lang)} (country {c.country}, version {c.version})")
    table = Table("section", "weight", "title", "rule", "citation")
    table.add_column("id", no_wrap=True)
    for item in c.items:
        cite = " ".join(x for x in (item.citation.document, item.citation.clause) if x)
        table.add_row(
            item.section, f"{item.weight:g}", item.title.get(lang), item.rule.kind, cite, item.id
        )
    out.print(table)


@checklist_app.command("validate")
def checklist_validate(
    files: Annotated[list[Path], typer.Argument(help="Checklist YAML files to validate.")],
) -> None:
    """Validate checklist files; every problem is printed with file:line."""
    bad = 0
    for path in files:
        try:
            c = load_checklist(path)
        except InputError as exc:
            bad += 1
            for problem in exc.problems:
                err.print(f"[red]error:[/] {problem}", highlight=False)
            continue
        out.print(f"ok: {path} ({c.id}, {len(c.items)} items)", highlight=False)
    if bad:
        raise typer.Exit(ExitCode.BAD_INPUT)


@registry_app.command("validate")
def registry_validate(
    registry: Annotated[Path, typer.Argument(help="Registry CSV to validate.")],
    checklist: ChecklistOpt = "auto",
) -> None:
    """List every problem of a registry: missing columns, bad URLs, duplicate ids."""
    from .registry import load_registry
    from .scan import ChecklistResolver

    reg = load_registry(registry)
    resolver = ChecklistResolver(checklist)
    problems = [str(p) for p in reg.errors]
    bad_rows = {p.line for p in reg.errors}
    for org in reg.organizations:
        problem = resolver.problem(org, registry)
        if problem is not None and org.row not in bad_rows:
            problems.append(problem)
    for problem in problems:
        err.print(f"[red]error:[/] {problem}", highlight=False)
    for warning in reg.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    out.print(
        f"{registry}: {len(reg.organizations)} organizations, {len(problems)} errors, "
        f"{len(reg.warnings)} warnings (encoding {reg.encoding}, delimiter {reg.delimiter!r})",
        highlight=False,
        soft_wrap=True,
    )
    if problems:
        raise typer.Exit(ExitCode.BAD_INPUT)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Report folder.")] = Path(
        "reports/demo"
    ),
    lang: LangOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Serve the bundled example sites on loopback, scan them, print the report path."""
    from .demo import run_demo

    index = run_demo(out_dir, lang=lang, quiet=quiet, console=err, debug=state.debug)
    out.print(str(index), highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the exit code (see errors.ExitCode)."""
    try:
        result = app(args=argv, prog_name="siteaudit", standalone_mode=False)
    except SiteauditError as exc:
        if state.debug:
            raise
        err.print(f"[red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        return int(exc.exit_code)
    except typer.Exit as exc:
        result = exc.exit_code
    except typer.TyperException as exc:  # usage errors: click's own message and exit code 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc.message}", highlight=False)
        return int(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        result = ExitCode.INTERRUPTED
    except Exception as exc:  # a bug: say so in one line; --debug shows the traceback
        if state.debug:
            raise
        err.print(
            f"[red]internal error:[/] {type(exc).__name__}: {exc} "
            "(a bug in siteaudit; run again with --debug and report the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        return int(ExitCode.FAILED)
    code = int(result) if isinstance(result, int) else int(ExitCode.OK)
    if code == ExitCode.INTERRUPTED:
        err.print(
            "interrupted: results so far are stored; continue with 'siteaudit scan ... --resume'"
        )
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
