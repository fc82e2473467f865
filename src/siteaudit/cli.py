"""The command line (Typer). Parses flags, calls the core, maps errors to exit codes."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .checklist import bundled_checklists, load_checklist
from .errors import ExitCode, InputError, SiteauditError
from .settings import Settings, load_settings

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
    per_host: int | None = None,
    delay: float | None = None,
    timeout: float | None = None,
    ca_bundle: Path | None = None,
    ignore_robots: bool = False,
) -> Settings:
    overrides: dict[str, Any] = {
        "max_pages": max_pages,
        "max_depth": max_depth,
        "concurrency": concurrency,
        "per_host_concurrency": per_host,
        "per_host_delay": delay,
        "page_timeout": timeout,
        "ca_bundle": str(ca_bundle) if ca_bundle else None,
        "allow_networks": tuple(allow) if allow else None,
        "obey_robots": False if ignore_robots else None,
    }
    return load_settings(config, **overrides)


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
    per_host_concurrency: HostConcOpt = None,
    delay: DelayOpt = None,
    timeout: TimeoutOpt = None,
    ca_bundle: CaOpt = None,
    ignore_robots: RobotsOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Crawl every organization of a registry, check it, store results, write reports."""
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
        per_host=per_host_concurrency,
        delay=delay,
        timeout=timeout,
        ca_bundle=ca_bundle,
        ignore_robots=ignore_robots,
    )
    day = _as_of(as_of)
    plan = plan_scan(registry, checklist, skip_invalid=skip_invalid)
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
    out.print(str(index), highlight=False)


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
    )
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
