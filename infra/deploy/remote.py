"""Invoking deployed functions from the deployer's machine: the migration step and the smoke test's invocations.

    python -m infra.deploy.remote migrate        (make deploy-migrate)  apply pending migrations, print what was done
    python -m infra.deploy.remote status         the migration state, changing nothing

Uses the SCF API (Invoke, InvocationType=RequestResponse) with the deployer's credentials — TENCENT_SECRET_ID /
TENCENT_SECRET_KEY, the same the scf CLI logs in with — in TENCENT_REGION and FUNCTIONS_NAMESPACE. The functions
themselves never see those credentials. A synchronous Invoke waits at most 300 s (SCF API); a migration that builds
an index CONCURRENTLY can take longer, so when the call times out the state is polled (`status`: the migration lock
held means it is still running) until it is done, or the function's own 900 s are up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from shared.adapters.tencent import RoleCredential, StaticCredential, tencent_client

MIGRATE_FUNCTION = "migrate"
SYNC_INVOKE_SECONDS = 300  # SCF: "接口超时时间为 300s"
MIGRATE_TIMEOUT_SECONDS = 900  # the migrate function's own timeout (infra/deploy/migrate/serverless.yml)


class RemoteError(RuntimeError):
    pass


class Remote:
    """Synchronous invocations of deployed functions (version $LATEST: what `scf deploy` just uploaded)."""

    def __init__(self, credential: RoleCredential, *, region: str, namespace: str,
                 endpoint: str = "scf.tencentcloudapi.com", protocol: str = "https", qualifier: str = "$LATEST",
                 timeout: int = SYNC_INVOKE_SECONDS) -> None:
        self.client = tencent_client("tencentcloud.scf.v20180416.scf_client:ScfClient", credential=credential,
                                     region=region, endpoint=endpoint, protocol=protocol, timeout=timeout)
        self.namespace = namespace
        self.qualifier = qualifier

    @classmethod
    def from_environment(cls) -> Remote:
        missing = [n for n in ("TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_REGION", "FUNCTIONS_NAMESPACE")
                   if not os.environ.get(n)]
        if missing:
            raise RemoteError(f"export {', '.join(missing)} (the deployer's login and the stage)")
        credential = StaticCredential((os.environ["TENCENT_SECRET_ID"], os.environ["TENCENT_SECRET_KEY"], None))
        return cls(credential, region=os.environ["TENCENT_REGION"], namespace=os.environ["FUNCTIONS_NAMESPACE"])

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.scf.v20180416 import models

        request = models.InvokeRequest()
        request.FunctionName = function
        request.Namespace = self.namespace
        request.Qualifier = self.qualifier
        request.InvocationType = "RequestResponse"
        request.ClientContext = json.dumps(event)
        try:
            result = self.client.Invoke(request).Result
        except TencentCloudSDKException as exc:
            raise RemoteError(f"{function}: {exc.code} {exc.message}") from exc
        if result.InvokeResult != 0:
            raise RemoteError(f"{function} failed (request {result.FunctionRequestId}): {result.ErrMsg}")
        return json.loads(result.RetMsg) if result.RetMsg else None


def migrate(remote: Remote, *, poll_seconds: float = 15, deadline_seconds: float = MIGRATE_TIMEOUT_SECONDS
            ) -> dict[str, Any]:
    """Run the pending migrations; when the synchronous call gives up first, wait for the running migration."""
    started = time.monotonic()
    try:
        return remote.invoke(MIGRATE_FUNCTION, {"action": "migrate"})
    except RemoteError as exc:
        if "Timeout" not in str(exc) and "timed out" not in str(exc).lower():
            raise
        print(f"the synchronous call ended before the migration ({exc}); waiting for it", file=sys.stderr)
    while time.monotonic() - started < deadline_seconds:
        time.sleep(poll_seconds)
        state = remote.invoke(MIGRATE_FUNCTION, {"action": "status"})
        if not state["running"]:
            if state["pending"]:
                raise RemoteError(f"migration stopped with {state['pending']} pending: read the migrate function's "
                                  "log in CLS")
            return state
    raise RemoteError("the migration is still running after the function's timeout: read its log in CLS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("migrate", "status"))
    args = parser.parse_args(argv)
    try:
        remote = Remote.from_environment()
        state = migrate(remote) if args.action == "migrate" else remote.invoke(MIGRATE_FUNCTION, {"action": "status"})
    except RemoteError as exc:
        print(f"{args.action} failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(state, ensure_ascii=False, indent=2))
    return 0 if not state.get("pending") else 1


if __name__ == "__main__":
    sys.exit(main())
