"""A real browser where it matters: rendering script-built pages, axe-core, the low-vision toggle.

Playwright drives a Chromium found on the machine (see ``browser.find_browser``). HTTP stays
the fast path: in ``--render auto`` only pages whose HTML looks script-built are rendered,
plus a few key pages per site for the accessibility checks.
"""

from .audit import (
    AXE_ITEM,
    IMG_ALT_ITEM,
    LOW_VISION_ITEM,
    BrowserAudit,
    RenderMode,
    apply_browser,
    audit_site,
    key_pages,
)
from .axe import AXE_LICENSE, AxeResult, axe_version
from .browser import BrowserError, Renderer, find_browser
from .heuristic import needs_render, render_reason
from .lowvision import LowVisionResult
from .session import BrowserCheck, BrowserSession

__all__ = [
    "AXE_ITEM",
    "AXE_LICENSE",
    "IMG_ALT_ITEM",
    "LOW_VISION_ITEM",
    "AxeResult",
    "BrowserAudit",
    "BrowserCheck",
    "BrowserError",
    "BrowserSession",
    "LowVisionResult",
    "RenderMode",
    "Renderer",
    "apply_browser",
    "audit_site",
    "axe_version",
    "find_browser",
    "key_pages",
    "needs_render",
    "render_reason",
]
