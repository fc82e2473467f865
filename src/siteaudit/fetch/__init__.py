"""Fetching: one shared httpx client, a network guard, redirects, caps, charsets, retries.

Every connection goes through :class:`GuardedBackend`, which resolves the host itself and
refuses non-public addresses (loopback, private, link-local, metadata, CGNAT, ...) unless
``Settings.allow_networks`` lets them in. The check runs before any socket is opened, for
every connection, so every redirect hop is checked too.

httpx, ssl and socket errors are translated into ``SiteStatus`` in :func:`classify` only.

- ``guard``: NetworkPolicy, BlockedAddress, GuardedBackend
- ``taxonomy``: classify()
- ``content``: page kinds, charset decoding
- ``client``: Fetcher
"""

from __future__ import annotations

from .client import Fetcher
from .content import DOCUMENT_EXTENSIONS, decode_html, is_document_url
from .guard import BlockedAddress, GuardedBackend, NetworkPolicy
from .taxonomy import classify

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "BlockedAddress",
    "Fetcher",
    "GuardedBackend",
    "NetworkPolicy",
    "classify",
    "decode_html",
    "is_document_url",
]
