"""Does a fetched page look built by JavaScript? (``--render auto`` renders only those.)

Signs, any of which is enough when the page has scripts:

- little visible text (under ``MIN_TEXT`` characters in the body);
- an application root (``<div id="app">``, ``#root``, ``#__next``, ``#__nuxt``, ``[ng-app]``,
  ...) holding little text;
- almost no ``<a href>`` links while the scripts or inline JSON hold URLs;
- a ``<noscript>`` warning that the site needs JavaScript, with little content besides.

Ordinary server-rendered pages have text and links, so they are not rendered.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

MIN_TEXT = 250
APP_ROOT_TEXT = 150
FEW_LINKS = 3
NOSCRIPT_TEXT = 1500

_APP_ROOTS = (
    "#app, #root, #__next, #__nuxt, #q-app, #vue-app, #react-root, #application, "
    "[ng-app], [data-reactroot], [data-v-app], app-root"
)
_SCRIPT_URLS = re.compile(r"""["'](?:https?://[^"'\s]+|/[\w\-./%]+/?)["']""")
_NOSCRIPT_WARNING = re.compile(
    r"javascript|включите|включить|enable|поддерж\w* (?:скрипт|js)|қосыңыз", re.I
)


def _visible_text_len(tree: LexborHTMLParser) -> int:
    body = tree.body
    if body is None:
        return 0
    return len(" ".join(body.text(separator=" ").split()))


def render_reason(html: str) -> str | None:
    """Why this page should be rendered in a browser, or None when its HTML is enough."""
    tree = LexborHTMLParser(html)
    scripts = [node.text() or "" for node in tree.css("script")]
    noscript = " ".join(n.text() for n in tree.css("noscript"))
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    text_len = _visible_text_len(tree)
    if not scripts:
        return None
    if noscript and _NOSCRIPT_WARNING.search(noscript) and text_len < NOSCRIPT_TEXT:
        return "a <noscript> warning that the site needs JavaScript"
    if text_len < MIN_TEXT:
        return f"little visible text ({text_len} characters) and scripts"
    for root in tree.css(_APP_ROOTS):
        if len(" ".join(root.text(separator=" ").split())) < APP_ROOT_TEXT:
            return "an application root with little text"
    links = len(tree.css("a[href]"))
    if links < FEW_LINKS:
        urls = sum(len(_SCRIPT_URLS.findall(source)) for source in scripts)
        if urls >= FEW_LINKS:
            return f"links only in scripts ({urls} URLs in scripts, {links} <a href>)"
    return None


def needs_render(html: str) -> bool:
    """True when the page's HTML looks built by JavaScript (see ``render_reason``)."""
    return render_reason(html) is not None
