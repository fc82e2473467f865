"""Fetching: one shared httpx client, a network guard, redirects, caps, charsets, retries.

Every host name is resolved by :class:`aio.GuardedResolver`, which refuses non-public
addresses (loopback, private, link-local, metadata, CGNAT, ...) unless
``Settings.allow_networks`` lets them in, and literal IPs are checked before any request
(``Fetcher._precheck``). The checks run before any socket is opened, for every connection,
so every redirect hop is checked too.

httpx, ssl, socket and aiohttp errors are translated into ``SiteStatus`` in :func:`classify`
only (aiohttp's first become httpx's, in ``aio.as_httpx``).

- ``guard``: NetworkPolicy, BlockedAddress
- ``aio``: the transport under httpx (aiohttp's connections), GuardedResolver
- ``taxonomy``: classify()
- ``content``: page kinds, charset decoding
- ``client``: Fetcher
"""

from __future__ import annotations

from .client import Fetcher
from .content import DOCUMENT_EXTENSIONS, decode_html, is_document_url
from .guard import BlockedAddress, NetworkPolicy
from .taxonomy import classify

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "BlockedAddress",
    "Fetcher",
    "NetworkPolicy",
    "classify",
    "decode_html",
    "is_document_url",
]
