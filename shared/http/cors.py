"""CORS for the browser clients named in CORS_ALLOWED_ORIGINS (the admin console). The mini-program does not use
CORS (wx.request is not a browser fetch), so with no origin configured nothing here changes an answer.

- A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed origin is answered 204
  with the methods and the headers the API reads; from any other origin 403, without CORS headers, so the browser
  blocks the call. It never reaches the router (which has no OPTIONS routes).
- Any other answer to a request from an allowed origin carries `Access-Control-Allow-Origin: <that origin>` and
  `Vary: Origin`. Credentials are bearer tokens in a header, not cookies: no Allow-Credentials.

Answered by the functions themselves, so it behaves the same behind the custom domain, on a bare Function URL and on
the local gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = ("authorization", "content-type", "idempotency-key", "x-request-id")
MAX_AGE_SECONDS = 600


def _headers(event: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def is_preflight(event: dict[str, Any]) -> bool:
    headers = _headers(event)
    return (str(event.get("httpMethod") or "").upper() == "OPTIONS" and "origin" in headers
            and "access-control-request-method" in headers)


def preflight(event: dict[str, Any], origins: Iterable[str]) -> dict[str, Any]:
    """The answer to a preflight request (see `is_preflight`)."""
    origin = _headers(event).get("origin", "").rstrip("/")
    if origin not in set(origins):
        body = {"code": "CORS_ORIGIN_REFUSED", "message": "该来源不允许跨域访问"}
        return {"statusCode": 403, "headers": {"content-type": "application/json; charset=utf-8"},
                "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}
    return {
        "statusCode": 204,
        "headers": {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": ALLOWED_METHODS,
            "access-control-allow-headers": ", ".join(ALLOWED_HEADERS),
            "access-control-max-age": str(MAX_AGE_SECONDS),
            "vary": "Origin",
        },
        "body": "",
        "isBase64Encoded": False,
    }


def decorate(response: dict[str, Any], event: dict[str, Any], origins: Iterable[str]) -> dict[str, Any]:
    """Add the CORS headers to an answer when the request came from an allowed origin."""
    origin = _headers(event).get("origin", "").rstrip("/")
    if origin and origin in set(origins):
        headers = dict(response.get("headers") or {})
        headers["access-control-allow-origin"] = origin
        headers["vary"] = "Origin"
        response["headers"] = headers
    return response
