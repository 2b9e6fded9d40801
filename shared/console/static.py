"""The console's static files (shared/console/static: our CSS and JS, and the vendored htmx and ECharts, committed
minified with their licences under static/licenses), served by the admin function itself at
/admin/console/static/<name>?v=<content hash>: cached by the browser for a year (the hash changes with the file),
gzipped when the browser accepts it (ECharts: 664 KB → ~220 KB). Only the flat files of that directory are served."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.errors import NotFound
from shared.http.router import Response

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".ico": "image/x-icon"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    version: str
    content_type: str


@cache
def asset(name: str) -> Asset:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in TYPES:
        raise NotFound("NOT_FOUND", "文件不存在")
    body = path.read_bytes()
    return Asset(body, gzip.compress(body, 6, mtime=0), hashlib.sha256(body).hexdigest()[:12], TYPES[path.suffix])


def url(name: str) -> str:
    return f"/admin/console/static/{name}?v={asset(name).version}"


def serve(name: str, accept_encoding: str) -> Response:
    a = asset(name)
    headers = {"content-type": a.content_type, "cache-control": "public, max-age=31536000, immutable",
               "x-content-type-options": "nosniff", "vary": "Accept-Encoding"}
    if "gzip" in accept_encoding:
        return Response(200, raw=a.gzipped, headers={**headers, "content-encoding": "gzip"})
    return Response(200, raw=a.body, headers=headers)
