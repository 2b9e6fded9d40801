"""Asynchronous invocation of another SCF function (`tencentcloud-sdk-python-scf`, `Invoke`, API 2018-04-16).

Used to kick the jobs worker after a commit. The SDK is imported lazily, on the first invocation.
Tests and local runs point `endpoint`/`protocol` at `infra/fakes/tencent_scf.py`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from shared.adapters.tencent import RoleCredential

log = logging.getLogger("codelink.scf")


class InvokeError(Exception):
    """SCF refused the invocation (`code` is its API error code) or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"SCF invoke error {code}: {message}")
        self.code = code
        self.message = message


class FunctionInvoker:
    def __init__(
        self,
        credential: RoleCredential,
        *,
        endpoint: str = "scf.tencentcloudapi.com",
        protocol: str = "https",
        region: str = "ap-guangzhou",
        namespace: str = "default",
        qualifier: str = "$DEFAULT",
        timeout: int = 5,
    ) -> None:
        self._credential = credential
        self.qualifier = qualifier
        self.endpoint = endpoint
        self.protocol = protocol
        self.region = region
        self.namespace = namespace
        self.timeout = timeout
        self._client_instance: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> FunctionInvoker:
        return cls(
            RoleCredential.from_settings(settings),
            endpoint=settings.scf_endpoint,
            protocol=settings.scf_protocol,
            region=settings.tencent_region,
            namespace=settings.functions_namespace,
            qualifier=settings.jobs_worker_qualifier,
        )

    def _client(self) -> Any:
        if self._client_instance is None:
            from shared.adapters.tencent import tencent_client

            self._client_instance = tencent_client(
                "tencentcloud.scf.v20180416.scf_client:ScfClient", credential=self._credential, region=self.region,
                endpoint=self.endpoint, protocol=self.protocol, timeout=self.timeout)
        return self._client_instance

    def invoke_async(self, function_name: str, event: dict) -> None:
        """Start `function_name` with `event`; returns at once (InvocationType=Event, event ≤ 128 KB)."""
        from shared.txguard import assert_outside_transaction  # never inside a transaction
        assert_outside_transaction("SCF Invoke")
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.scf.v20180416 import models

        request = models.InvokeRequest()
        request.FunctionName = function_name
        request.InvocationType = "Event"
        request.Namespace = self.namespace
        # Without a Qualifier, Invoke runs $LATEST while the triggers run $DEFAULT: name the released one.
        request.Qualifier = self.qualifier
        request.ClientContext = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        try:
            response = self._client().Invoke(request)
        except TencentCloudSDKException as exc:
            raise InvokeError(str(exc.code), str(exc.message)) from exc
        request_id = response.Result.FunctionRequestId if response.Result else None
        log.info("invoked %s asynchronously (function request %s)", function_name, request_id)
