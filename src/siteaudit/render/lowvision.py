# ruff: noqa: E501  (the page-side JavaScript below keeps its natural line lengths)
"""The low-vision version: find its toggle, switch it on, and see what really changed.

The toggle is looked for by its text, by an icon's ``aria-label`` / ``title`` / ``alt``, by the
common plugins (``bvi`` / ``.bvi-open``, ``uhpv`` / ``#specialButton``) and by links to
``?special=Y`` / ``special_version``. After clicking it, the computed styles of the page are
compared with those before: font size, colour scheme, images, spacing.

``full``: the font grew and the colours changed; ``partial``: something changed, but not
both (e.g. only the font size); ``none``: nothing visible changed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page as PWPage

FULL, PARTIAL, NONE, NOT_FOUND = "full", "partial", "none", "not_found"
FONT_GROWTH = 1.1  # the median font size must grow by 10 % to count

#: Marks the best toggle candidate with data-siteaudit-toggle and returns its description.
_FIND_TOGGLE = r"""
() => {
  const words = /слабовид|для слабо|нарушени\w* зрени|специальн\w* (?:верси|возможн)|нашар\s*көр|көзі\s*нашар|low.?vision|visually.?impaired|accessib|special.?version/i;
  const plugin = '.bvi-open, .bvi-panel-open, [class*="bvi-open"], [data-bvi], #specialButton, .uhpv-button, [class*="special-version"], [id*="special"], a[href*="special=Y"], a[href*="special_version"], a[href*="special-version"], a[href*="?special"]';
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const clickable = (el) => el.closest('a, button, [role="button"], [onclick], [tabindex], label') || el;
  const label = (el) => [el.innerText, el.getAttribute('aria-label'), el.getAttribute('title'),
    el.getAttribute('alt'), ...Array.from(el.querySelectorAll('img[alt], svg title, [aria-label], [title]'))
      .map(n => n.getAttribute('alt') || n.getAttribute('aria-label') || n.getAttribute('title') || n.textContent)]
    .filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
  const candidates = [];
  for (const el of document.querySelectorAll(plugin)) {
    if (visible(el)) candidates.push([clickable(el), 'plugin ' + (el.id ? '#' + el.id : el.className || el.tagName.toLowerCase())]);
  }
  for (const el of document.querySelectorAll('a, button, [role="button"], [onclick], img[alt], [aria-label], [title]')) {
    const text = label(el);
    if (text.length < 200 && words.test(text) && visible(el)) candidates.push([clickable(el), text.slice(0, 120)]);
  }
  if (!candidates.length) return null;
  const [el, how] = candidates[0];
  el.setAttribute('data-siteaudit-toggle', '1');
  return {how: how, html: el.outerHTML.replace(/\s+/g, ' ').slice(0, 200), href: el.getAttribute('href') || ''};
}
"""

#: Aggregate computed styles of the page's text and images.
_SNAPSHOT = r"""
() => {
  const bg = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const texts = [];
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    if (texts.length >= 300) break;
    if (['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim().length > 1);
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el);
    const fs = parseFloat(s.fontSize) || 0;
    const n = Array.from(el.childNodes).filter(c => c.nodeType === 3).map(c => c.textContent.trim()).join('').length;
    texts.push({fs: fs, n: n, color: s.color, bg: bg(el),
      ls: s.letterSpacing === 'normal' ? 0 : parseFloat(s.letterSpacing) || 0,
      ws: s.wordSpacing === 'normal' ? 0 : parseFloat(s.wordSpacing) || 0,
      lh: s.lineHeight === 'normal' ? 1.2 : (parseFloat(s.lineHeight) || fs * 1.2) / (fs || 1)});
  }
  let images = 0;
  for (const img of document.images) {
    const r = img.getBoundingClientRect();
    if (r.width > 1 && r.height > 1 && getComputedStyle(img).visibility !== 'hidden') images++;
  }
  return {texts: texts, images: images, body_bg: document.body ? bg(document.body) : ''};
}
"""


@dataclass(frozen=True, slots=True)
class StyleSnapshot:
    font_size: float  # median font size of the text (weighted by its length), px
    colors: tuple[str, ...]  # the most common (text colour, background) pairs
    images: int  # visible images
    spacing: tuple[float, float, float]  # median letter-spacing, word-spacing, line-height ratio
    body_bg: str


def snapshot_from(raw: dict[str, Any]) -> StyleSnapshot:
    texts = raw.get("texts") or []
    counts: dict[str, int] = {}
    for t in texts:
        key = f"{t['color']} on {t['bg']}"
        counts[key] = counts.get(key, 0) + 1
    top = tuple(k for k, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:3])

    def med(name: str) -> float:
        """The median of a property over the text, weighted by each element's text length."""
        if not texts:
            return 0.0
        pairs = sorted((float(t[name]), max(1, int(t.get("n") or 1))) for t in texts)
        half, run = sum(n for _, n in pairs) / 2, 0
        for value, n in pairs:
            run += n
            if run >= half:
                return value
        return pairs[-1][0]

    return StyleSnapshot(
        font_size=med("fs"),
        colors=top,
        images=int(raw.get("images") or 0),
        spacing=(round(med("ls"), 2), round(med("ws"), 2), round(med("lh"), 2)),
        body_bg=str(raw.get("body_bg") or ""),
    )


@dataclass(frozen=True, slots=True)
class LowVisionResult:
    verdict: str  # full, partial, none, not_found
    toggle: str = ""  # how the toggle was found
    toggle_html: str = ""
    changes: tuple[str, ...] = ()  # "font size", "colours", "images hidden", "spacing"
    url: str = ""
    before_png: str = ""  # paths of screenshots, when taken
    after_png: str = ""
    detail: str = ""

    @property
    def reason(self) -> str:
        if self.verdict == NOT_FOUND:
            return "no low-vision toggle found in the browser"
        if self.verdict == NONE:
            return f"the low-vision toggle ({self.toggle}) changed nothing visible"
        changed = ", ".join(self.changes)
        if self.verdict == PARTIAL:
            return f"partial: only {changed} changed after the low-vision toggle ({self.toggle})"
        return f"full: {changed} changed after the low-vision toggle ({self.toggle})"


def compare(before: StyleSnapshot, after: StyleSnapshot) -> tuple[str, tuple[str, ...]]:
    """(verdict, what changed) between two snapshots."""
    changes = []
    font = before.font_size > 0 and after.font_size >= before.font_size * FONT_GROWTH
    if font:
        changes.append("font size")
    colours = (before.colors[:1] != after.colors[:1]) or (before.body_bg != after.body_bg)
    if colours:
        changes.append("colours")
    if after.images < before.images:
        changes.append("images hidden")
    if after.spacing != before.spacing:
        changes.append("spacing")
    if not changes:
        return NONE, ()
    return (FULL if font and colours else PARTIAL), tuple(changes)


async def check_low_vision(tab: PWPage, *, shots: Path | None = None) -> LowVisionResult:
    """Find the toggle on the loaded page, click it, compare styles; screenshots into ``shots``."""
    url = tab.url
    found = await tab.evaluate(_FIND_TOGGLE)
    if not found:
        return LowVisionResult(NOT_FOUND, url=url)
    before = snapshot_from(await tab.evaluate(_SNAPSHOT))
    before_png = after_png = ""
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        before_png = str(shots / "lowvision-before.png")
        await tab.screenshot(path=before_png)
    toggle = tab.locator("[data-siteaudit-toggle]").first
    try:
        await toggle.click(timeout=5000)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        return LowVisionResult(
            NONE, str(found["how"]), str(found["html"]), url=url, detail=f"click failed: {first}"
        )
    with contextlib.suppress(Exception):
        await tab.wait_for_load_state("load", timeout=5000)
    await tab.wait_for_timeout(300)  # CSS transitions and plugin scripts
    after = snapshot_from(await tab.evaluate(_SNAPSHOT))
    if shots is not None:
        after_png = str(shots / "lowvision-after.png")
        await tab.screenshot(path=after_png)
    verdict, changes = compare(before, after)
    return LowVisionResult(
        verdict,
        str(found["how"]),
        str(found["html"]),
        changes,
        url=url,
        before_png=before_png,
        after_png=after_png,
    )
