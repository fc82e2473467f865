"""A hostile web server for the test suite: every way a neglected or malicious site misbehaves.

Raw asyncio sockets (not http.server), so a behaviour can drip bytes, stall, reset the
connection, lie about its length or its encoding. Each server runs its own event loop in a
thread and binds one 127.0.x.y address; each behaviour lives on its own path. The suite runs
inside ``unshare -n`` (scripts/test.sh), so nothing can leave the machine even if a guard fails.
"""

from __future__ import annotations

from .behaviours import SITES, routes
from .server import HostileServer, Request, hostile_server

__all__ = ["SITES", "HostileServer", "Request", "hostile_server", "routes"]
