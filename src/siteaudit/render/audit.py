"""The browser's part of a site check: which pages to render, and the browser-only items.

- ``audit_site`` runs axe-core on the key pages and tries the low-vision toggle.
- ``apply_browser`` (pure) turns that into the findings ``a11y.axe``, ``a11y.img_alt`` and
  ``a11y.low_vision``; without a browser, the browser-only items are ``unknown``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ..models import Evaluation, Evidence, Finding, Outcome, PageFacts
from .axe import AXE_LICENSE, PASS_SCORE, AxeResult, axe_version, run_axe
from .browser import Renderer
from .lowvision import FULL, NONE, NOT_FOUND, PARTIAL, LowVisionResult, check_low_vision

log = logging.getLogger(__name__)

AXE_ITEM = "a11y.axe"
IMG_ALT_ITEM = "a11y.img_alt"
LOW_VISION_ITEM = "a11y.low_vision"
HOME = "home"
MAX_EVIDENCE = 12
#: How the reason of every item the browser decides begins when no browser checked it (the
#: reports tell their readers so in their own language).
NEEDS_BROWSER = "needs a browser"


class RenderMode(StrEnum):
    AUTO = "auto"
    NEVER = "never"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class BrowserAudit:
    """What the browser found on one site's key pages."""

    axe: tuple[AxeResult, ...] = ()
    low_vision: LowVisionResult | None = None
    screenshots: tuple[tuple[str, str], ...] = ()  # (page URL, PNG path)
    errors: tuple[str, ...] = ()


def key_pages(
    findings: Iterable[Finding], home: str, roles: Sequence[str], limit: int = 4
) -> list[str]:
    """The URLs of the key pages: ``home`` and the first page each named item found."""
    by_item = {f.item_id: f for f in findings}
    urls: list[str] = []
    for role in roles:
        url = home if role == HOME else ""
        finding = by_item.get(role)
        if not url and finding is not None and finding.outcome is Outcome.PRESENT:
            url = next((e.url for e in finding.evidence if e.url.startswith("http")), "")
        if url and url not in urls and not _is_document(url):
            urls.append(url)
    return urls[:limit]


def _is_document(url: str) -> bool:
    return bool(re.search(r"\.(?:pdf|docx?|xlsx?|odt|rtf|zip|rar)(?:$|\?)", url, re.I))


def _slug(url: str, index: int) -> str:
    tail = re.sub(r"[^\w]+", "-", url.split("://", 1)[-1]).strip("-")[-40:]
    return f"{index:02d}-{tail or 'page'}.png"


async def audit_site(
    renderer: Renderer,
    urls: Sequence[str],
    *,
    shots: Path | None = None,
    low_vision: bool = True,
) -> BrowserAudit:
    """axe-core on each of ``urls`` (the first is the home page) and the low-vision toggle."""
    results: list[AxeResult] = []
    screenshots: list[tuple[str, str]] = []
    errors: list[str] = []
    for index, url in enumerate(urls):
        try:
            async with asyncio.timeout(renderer.page_timeout * 2), renderer.page(url) as tab:
                if shots is not None:
                    shots.mkdir(parents=True, exist_ok=True)
                    path = shots / _slug(url, index)
                    await tab.screenshot(path=str(path))
                    screenshots.append((url, str(path)))
                results.append(await run_axe(tab))
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:
            errors.append(f"{url}: {_first_line(exc)}")
    lv: LowVisionResult | None = None
    if low_vision and urls:
        try:
            async with asyncio.timeout(renderer.page_timeout * 2), renderer.page(urls[0]) as tab:
                lv = await check_low_vision(tab, shots=shots)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:
            errors.append(f"{urls[0]} (low-vision toggle): {_first_line(exc)}")
    for error in errors:
        log.info("browser check failed: %s", error)
    return BrowserAudit(tuple(results), lv, tuple(screenshots), tuple(errors))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


# --- findings (pure) ---------------------------------------------------------------------


def _axe_finding(base: Finding, audit: BrowserAudit | None, why_not: str) -> Finding:
    if audit is None or not audit.axe:
        reason = why_not
        if audit is not None and audit.errors:
            reason = f"axe-core could not run: {audit.errors[0]}"
        return replace(base, outcome=Outcome.UNKNOWN, reason=reason, evidence=())
    worst: dict[str, tuple[AxeResult, int]] = {}  # rule -> (page result, violation index)
    for result in audit.axe:
        for i, v in enumerate(result.violations):
            worst.setdefault(v.rule, (result, i))
    merged = AxeResult(
        url=audit.axe[0].url,
        violations=tuple(res.violations[i] for res, i in worst.values()),
        passes=0,
        version=audit.axe[0].version,
    )
    counts = merged.by_impact()
    score = merged.score
    shown = ", ".join(f"{name} {n}" for name, n in counts.items())
    reason = (
        f"axe-core {merged.version or axe_version()} ({AXE_LICENSE}), WCAG 2.1 A/AA, "
        f"{len(audit.axe)} page(s): score {score}/100 (pass {PASS_SCORE}); "
        f"violated rules by impact: {shown}"
    )
    evidence: list[Evidence] = []
    for res, i in worst.values():
        v = res.violations[i]
        for node in v.nodes[:2]:
            snippet = f"{v.rule} [{v.impact}] {node.selector}: {node.snippet}"
            evidence.append(Evidence(url=res.url, snippet=snippet))
    evidence = evidence[:MAX_EVIDENCE]
    evidence += [Evidence(url=png, snippet=f"screenshot of {u}") for u, png in audit.screenshots]
    outcome = Outcome.PRESENT if score >= PASS_SCORE else Outcome.ABSENT
    return replace(base, outcome=outcome, reason=reason, evidence=tuple(evidence))


def _img_alt_finding(
    base: Finding, facts: Sequence[PageFacts], urls: Sequence[str], audit: BrowserAudit | None
) -> Finding:
    pages = [f for f in facts if f.url in urls and f.html] or [f for f in facts[:1] if f.html]
    if not pages:
        return replace(
            base, outcome=Outcome.UNKNOWN, reason="the key pages could not be read", evidence=()
        )
    missing: list[Evidence] = []
    total = 0
    for page in pages:
        for node in LexborHTMLParser(page.html).css("img"):
            total += 1
            if "alt" not in node.attributes and (node.attributes.get("role") or "") not in (
                "presentation",
                "none",
            ):
                missing.append(Evidence(url=page.url, snippet=(node.html or "")[:200]))
    if audit is not None:
        for result in audit.axe:
            for v in result.violations:
                if v.rule in ("image-alt", "input-image-alt", "role-img-alt"):
                    missing.extend(Evidence(url=result.url, snippet=n.snippet) for n in v.nodes)
    unique = list({e.snippet: e for e in missing}.values())
    where = f"{len(pages)} key page(s)"
    if unique:
        reason = f"{len(unique)} image(s) without a text alternative (alt) on {where}"
        return replace(
            base, outcome=Outcome.ABSENT, reason=reason, evidence=tuple(unique[:MAX_EVIDENCE])
        )
    reason = f"every image ({total}) has a text alternative (alt) on {where}"
    return replace(base, outcome=Outcome.PRESENT, reason=reason, evidence=())


def _low_vision_finding(base: Finding, audit: BrowserAudit | None) -> Finding:
    lv = audit.low_vision if audit is not None else None
    if lv is None or lv.verdict == NOT_FOUND:
        return base  # the HTTP rule's verdict stands (a link to a separate version counts)
    pairs = ((lv.before_png, "screenshot before"), (lv.after_png, "screenshot after"))
    shots = tuple(Evidence(url=path, snippet=label) for path, label in pairs if path)
    toggle = (Evidence(url=lv.url, snippet=lv.toggle_html or lv.toggle),)
    if lv.verdict in (FULL, PARTIAL):
        return replace(base, outcome=Outcome.PRESENT, reason=lv.reason, evidence=toggle + shots)
    assert lv.verdict == NONE
    note = lv.reason + (f" ({lv.detail})" if lv.detail else "")
    if base.outcome is Outcome.PRESENT:
        return replace(base, reason=f"{base.reason}; but {note}", evidence=base.evidence + shots)
    return replace(base, outcome=Outcome.UNKNOWN, reason=note, evidence=toggle + shots)


def apply_browser(
    evaluation: Evaluation,
    facts: Sequence[PageFacts],
    audit: BrowserAudit | None,
    *,
    key_urls: Sequence[str] = (),
    why_not: str = f"{NEEDS_BROWSER}: none was used (--render never, or no Chromium found)",
) -> Evaluation:
    """The evaluation with the browser-decided items replaced (pure).

    ``audit`` is None when no browser ran; then ``a11y.axe`` is unknown (``why_not``), never
    absent, ``a11y.img_alt`` is judged from the HTML and ``a11y.low_vision`` keeps its HTTP
    verdict. Items a checklist lacks are left alone.
    """
    urls = list(key_urls) or [f.url for f in facts[:1]]
    out: list[Finding] = []
    for finding in evaluation.findings:
        if not facts:  # unreachable: every item stays unknown with the site's reason
            out.append(finding)
        elif finding.item_id == AXE_ITEM:
            out.append(_axe_finding(finding, audit, why_not))
        elif finding.item_id == IMG_ALT_ITEM:
            out.append(_img_alt_finding(finding, facts, urls, audit))
        elif finding.item_id == LOW_VISION_ITEM:
            out.append(_low_vision_finding(finding, audit))
        else:
            out.append(finding)
    return replace(evaluation, findings=tuple(out))
