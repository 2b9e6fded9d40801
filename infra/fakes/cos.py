"""A real S3 endpoint on loopback standing in for COS in tests and `make dev`: moto's ThreadedMotoServer, with the
bucket created at start. boto3 talks to it exactly as to COS (shared/adapters/cos.py); against an IP address
botocore uses path-style URLs, which moto serves.

moto keeps its state in the process (one S3 backend for every server in it); each platform uses its own bucket.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

DEV_BUCKET = "codelink-dev-1250000000"


class FakeCos:
    name = "fake-cos"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, bucket: str = DEV_BUCKET,
                 credentials: tuple[str, str, str | None] = ("AKIDdev", "dev-secret-key", None)) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self.bucket = bucket
        self.credentials = credentials
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeCos:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        client = self.client()
        # a platform started earlier in this process may have made it (moto's state is the process's: make bench)
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": "ap-guangzhou"})
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        """A plain boto3 client on the fake (tests look at what was stored)."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.base_url, region_name="ap-guangzhou",
            aws_access_key_id=self.credentials[0], aws_secret_access_key=self.credentials[1],
            aws_session_token=self.credentials[2],
            config=Config(request_checksum_calculation="when_required", response_checksum_validation="when_required"))

    def settings_env(self) -> dict[str, str]:
        return {"COS_ENDPOINT": self.base_url, "COS_BUCKET": self.bucket}


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
