"""Tencent COS (object storage) through boto3's S3 client: reports' PDFs, the cohort ZIPs, mini-program codes.

COS speaks the S3 API with two differences boto3 must be told about (docs: FACTS.md "COS through boto3"):

- virtual-host addressing (`bucket.cos.<region>.myqcloud.com`): path style is refused for buckets created after
  2024-01-01. Against a loopback IP (moto's server in tests and `make dev`) botocore falls back to path style by itself.
- checksums only when an operation requires them: boto3 ≥ 1.36 sends CRC32 checksums by default, which COS rejects.

Credentials are the execution role's temporary keys (TENCENTCLOUD_SECRETID / SECRETKEY / SESSIONTOKEN, read through
`RoleCredential` like every Tencent client). They rotate, so the client is rebuilt when they change; otherwise one
client per process. boto3 lives in the reports layer only: import this module from functions that list that layer.

Never call COS inside a database transaction (docs/ARCHITECTURE.md): load, commit, then upload, then record.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from shared.adapters.tencent import RoleCredential
from shared.config import get_settings

DEFAULT_REGION = "ap-guangzhou"
GET_URL_SECONDS = 300  # presigned downloads are short-lived
POST_POLICY_SECONDS = 600
_REGION = re.compile(r"^cos\.([a-z0-9-]+)\.myqcloud\.com$")


class CosError(Exception):
    """COS refused or could not be reached (the caller's job retries)."""


class CosNotFound(CosError):
    pass


def region_of(endpoint: str) -> str:
    """`https://cos.ap-shanghai.myqcloud.com` → "ap-shanghai"; anything else (a loopback fake) → the default."""
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    match = _REGION.match(host)
    return match.group(1) if match else DEFAULT_REGION


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    content_type: str
    etag: str


class Cos:
    """One bucket. `client_factory` is for tests that want a client of their own; normally built from settings."""

    def __init__(self, endpoint: str, bucket: str, credential: RoleCredential, region: str | None = None) -> None:
        if not bucket:
            raise CosError("COS_BUCKET is not set")
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region or region_of(endpoint)
        self._credential = credential
        self._lock = threading.Lock()
        self._client: Any = None
        self._client_keys: tuple[str, str, str | None] | None = None

    @classmethod
    def from_settings(cls, settings: Any = None) -> Cos:
        settings = settings or get_settings()
        return cls(settings.cos_endpoint, settings.cos_bucket, RoleCredential.from_settings(settings))

    # --------------------------------------------------------------------------------------------- client

    def client(self) -> Any:
        keys = self._credential.get_credential_info()
        with self._lock:
            if self._client is None or keys != self._client_keys:
                self._client = self._build(keys)
                self._client_keys = keys
            return self._client

    def _build(self, keys: tuple[str, str, str | None]) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"},
                        request_checksum_calculation="when_required", response_checksum_validation="when_required",
                        connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=self.region, config=config,
            aws_access_key_id=keys[0], aws_secret_access_key=keys[1], aws_session_token=keys[2])

    # --------------------------------------------------------------------------------------------- objects

    def put(self, key: str, body: bytes, content_type: str, *, cache_control: str | None = None) -> Stored:
        extra: dict[str, Any] = {"CacheControl": cache_control} if cache_control else {}
        answer = self._call("put_object", Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra)
        return Stored(key=key, size=len(body), content_type=content_type, etag=str(answer.get("ETag", "")).strip('"'))

    def get(self, key: str) -> bytes:
        answer = self._call("get_object", Bucket=self.bucket, Key=key)
        return bytes(answer["Body"].read())

    def head(self, key: str) -> Stored | None:
        try:
            answer = self._call("head_object", Bucket=self.bucket, Key=key)
        except CosNotFound:
            return None
        return Stored(key=key, size=int(answer.get("ContentLength", 0)),
                      content_type=str(answer.get("ContentType", "")), etag=str(answer.get("ETag", "")).strip('"'))

    def delete(self, key: str) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=key)

    def presigned_get(self, key: str, *, seconds: int = GET_URL_SECONDS, filename: str | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return str(self.client().generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))

    def presigned_post(self, key_prefix: str, *, content_type: str, allowed_types: tuple[str, ...],
                       max_bytes: int, min_bytes: int = 1, seconds: int = POST_POLICY_SECONDS) -> dict[str, Any]:
        """An upload policy for `wx.uploadFile` (a multipart POST): the file must go under `key_prefix`, be of
        `content_type` (one of `allowed_types`) and between `min_bytes` and `max_bytes` long. Returns
        {"url", "fields"}: the client posts the fields plus `file`; the key may end in `${filename}`."""
        if content_type not in allowed_types:
            raise ValueError(f"content type {content_type!r} is not one of {allowed_types}")
        if not key_prefix or key_prefix.startswith("/"):
            raise ValueError("key_prefix must be a relative, non-empty prefix")
        conditions: list[Any] = [["starts-with", "$key", key_prefix], {"Content-Type": content_type},
                                 ["content-length-range", min_bytes, max_bytes]]
        answer = self.client().generate_presigned_post(
            self.bucket, key_prefix + "${filename}", Fields={"Content-Type": content_type},
            Conditions=conditions, ExpiresIn=seconds)
        return {"url": answer["url"], "fields": dict(answer["fields"])}

    def _call(self, operation: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client(), operation)(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in {"NoSuchKey", "404", "NotFound"}:
                raise CosNotFound(f"{operation} {params.get('Key')}: not found") from error
            raise CosError(f"{operation} {params.get('Key')}: {code or error}") from error
        except BotoCoreError as error:
            raise CosError(f"{operation} {params.get('Key')}: {error}") from error


_instance: Cos | None = None
_instance_lock = threading.Lock()


def cos() -> Cos:
    """The process's COS client for the configured bucket (`reset()` after the settings change)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = Cos.from_settings()
        return _instance


def reset() -> None:
    global _instance
    with _instance_lock:
        _instance = None
