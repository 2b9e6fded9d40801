"""Tencent Cloud API 3.0 on the fake side: TC3-HMAC-SHA256 verification and the common request/response shape.

Shared by the SMS and SCF fakes. A request is `POST /` with a JSON body and the common parameters in
headers (`X-TC-Action`, `X-TC-Version`, `X-TC-Timestamp`, `X-TC-Region`, `Authorization`). The answer is
always HTTP 200 with `{"Response": {..., "RequestId": ...}}`; errors are
`{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`.

Credentials are temporary ones, like an SCF execution role's: a SecretId given a session token must send it as
`X-TC-Token` (the SDK does when its credential has a token), else AuthFailure.TokenFailure.

The signature is recomputed from what actually arrived on the wire (method, path, the signed headers, the
body) with the secret key the fake was given, so a client with a wrong key, a tampered body or a stale clock
is refused the way the real API refuses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from infra.fakes.base import FakeRequest, FakeResponse, FakeServer

log = logging.getLogger("codelink.fakes.tc3")

ALGORITHM = "TC3-HMAC-SHA256"
# The real API refuses a request whose X-TC-Timestamp is more than 5 minutes away from its own clock.
MAX_CLOCK_SKEW_SECONDS = 300

_AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})"
    r"/(?P<service>[a-z0-9]+)/tc3_request,"
    r"\s*SignedHeaders=(?P<signed_headers>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


class Tc3Error(Exception):
    """An API 3.0 error: `code` is the documented error code (e.g. `AuthFailure.SignatureFailure`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """The documented key derivation: TC3+key -> date -> service -> "tc3_request"; HMAC the string to sign."""
    k_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac_sha256(k_date, service)
    k_signing = _hmac_sha256(k_service, "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_tc3(
    request: FakeRequest,
    *,
    service: str,
    credentials: Mapping[str, str],
    now: float,
    tokens: Mapping[str, str] | None = None,
) -> str:
    """Check a request's TC3 signature; return its SecretId or raise `Tc3Error` with the real error code."""
    authorization = request.headers.get("authorization", "")
    match = _AUTH_RE.match(authorization.strip())
    if match is None:
        raise Tc3Error(
            "AuthFailure.InvalidAuthorization", "Authorization header is malformed or not TC3-HMAC-SHA256."
        )
    secret_id = match["secret_id"]
    secret_key = credentials.get(secret_id)
    if secret_key is None:
        raise Tc3Error("AuthFailure.SecretIdNotFound", f"The SecretId `{secret_id}` is not found.")

    raw_timestamp = request.headers.get("x-tc-timestamp", "")
    if not raw_timestamp.isdigit():
        raise Tc3Error("MissingParameter", "The request is missing a valid `X-TC-Timestamp` header.")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > MAX_CLOCK_SKEW_SECONDS:
        raise Tc3Error(
            "AuthFailure.SignatureExpire",
            f"Signature expired. Timestamp {timestamp} is more than 5 minutes from server time {int(now)}.",
        )
    # The credential scope date must be the UTC date of the timestamp, and name this service.
    expected_date = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
    if match["date"] != expected_date:
        raise Tc3Error("AuthFailure.SignatureFailure", "The credential date does not match X-TC-Timestamp.")
    if match["service"] != service:
        raise Tc3Error(
            "AuthFailure.SignatureFailure",
            f"The credential scope names `{match['service']}`, not `{service}`.",
        )

    signed_headers = match["signed_headers"].split(";")
    if "content-type" not in signed_headers or "host" not in signed_headers:
        raise Tc3Error("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host.")
    missing = [h for h in signed_headers if h not in request.headers]
    if missing:
        raise Tc3Error("AuthFailure.SignatureFailure", f"Signed header(s) not present: {', '.join(missing)}.")

    # Canonical request, as the API 3.0 signing documentation defines it. Header values: trimmed, lower-cased.
    canonical_headers = "".join(f"{h}:{request.headers[h].strip().lower()}\n" for h in signed_headers)
    if request.headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(request.body).hexdigest()
    # Only POST is served by these fakes, so the canonical query string is always empty.
    canonical_request = "\n".join(
        [request.method, request.path, "", canonical_headers, match["signed_headers"], payload_hash]
    )
    credential_scope = f"{match['date']}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            raw_timestamp,
            credential_scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    expected = tc3_signature(secret_key, match["date"], service, string_to_sign)
    if not hmac.compare_digest(expected, match["signature"]):
        raise Tc3Error(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    expected_token = (tokens or {}).get(secret_id)
    if expected_token is not None and not hmac.compare_digest(
            request.headers.get("x-tc-token", "").encode(), expected_token.encode()):
        raise Tc3Error("AuthFailure.TokenFailure", "The token of this temporary SecretId is missing or wrong.")
    return secret_id


def _json_response(payload: dict) -> FakeResponse:
    # Exactly "application/json": tencentcloud-sdk looks for an Error only in responses of that content type.
    body = json.dumps({"Response": payload}, ensure_ascii=False).encode("utf-8")
    return FakeResponse(200, body, {"Content-Type": "application/json"})


def error_response(code: str, message: str, request_id: str) -> FakeResponse:
    return _json_response({"Error": {"Code": code, "Message": message}, "RequestId": request_id})


def ok_response(payload: dict, request_id: str) -> FakeResponse:
    return _json_response({**payload, "RequestId": request_id})


Action = Callable[[dict, FakeRequest], dict]


class Tc3FakeServer(FakeServer):
    """Base of an API 3.0 fake: verifies the signature and common headers, then calls `actions[X-TC-Action]`.

    Subclasses set `service` (the credential-scope service name, e.g. "sms"), `version` (e.g. "2021-01-11")
    and fill `self.actions` with `name -> fn(params, request) -> response payload`; `fn` raises `Tc3Error`.
    """

    service = ""
    version = ""

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`token`: the session token of a temporary SecretId (None: a permanent key, no token checked)."""
        super().__init__(host, port)
        self.credentials: dict[str, str] = {secret_id: secret_key}
        self.tokens: dict[str, str] = {secret_id: token} if token is not None else {}
        self.clock = clock
        self.actions: dict[str, Action] = {}

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.startswith("/_fake/"):
            return self.handle_control(request)
        request_id = str(uuid.uuid4())
        try:
            payload = self._dispatch(request)
        except Tc3Error as exc:
            log.info("%s refused %s: %s", self.name, request.headers.get("x-tc-action"), exc)
            return error_response(exc.code, exc.message, request_id)
        return ok_response(payload, request_id)

    def _dispatch(self, request: FakeRequest) -> dict:
        if request.method != "POST" or request.path != "/":
            raise Tc3Error(
                "UnsupportedProtocol", "This endpoint (a local fake) accepts only POST / with a JSON body."
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Tc3Error(
                "InvalidParameter", f"Unsupported Content-Type `{content_type}`; use application/json."
            )
        verify_tc3(request, service=self.service, credentials=self.credentials, now=self.clock(), tokens=self.tokens)

        action = request.headers.get("x-tc-action", "")
        if request.headers.get("x-tc-version", "") != self.version:
            raise Tc3Error(
                "NoSuchVersion",
                f"The API version `{request.headers.get('x-tc-version', '')}` does not exist.",
            )
        if action not in self.actions:
            raise Tc3Error("InvalidAction", f"The action `{action}` does not exist.")
        if not request.headers.get("x-tc-region"):
            raise Tc3Error("MissingParameter", "The request is missing a required parameter `Region`.")
        try:
            params = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise Tc3Error("InvalidParameter", f"The request body is not valid JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise Tc3Error("InvalidParameter", "The request body must be a JSON object.")
        return self.actions[action](params, request)

    def handle_control(self, request: FakeRequest) -> FakeResponse:
        """`/_fake/...` test/dev controls; subclasses override."""
        return FakeResponse.json({"error": "not found"}, 404)


def require_str(params: dict, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise Tc3Error("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if not isinstance(value, str):
        raise Tc3Error("InvalidParameter", f"The parameter `{name}` must be a string.")
    return value
