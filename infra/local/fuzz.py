"""`make fuzz`: an outside client fuzzes the running platform from its own OpenAPI document.

Starts the platform the way `make dev` does — PostgreSQL (database `codelink_fuzz`, fresh each run), the loopback
fakes, every function behind the local gateway — on CODELINK_PORT_BASE's ports (or free ports with --ephemeral),
seeds a small world through the API, logs in a developer, a merchant and an admin through the fake WeChat and SMS
(real tokens), then runs schemathesis against /openapi.json once per role: every operation, positive and negative
data, bounded examples per operation. It fails on any 5xx, any status or body the document does not declare, any
response of the wrong content type, and any request the document says is invalid that the API accepts.

Run: `make fuzz` (FUZZ_ARGS="--max-examples 100 --seed 1" to change the bounds). tests/e2e/test_fuzz.py runs the
same thing with small bounds in `make test`.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

log = logging.getLogger("codelink.fuzz")

ROLES = ("developer", "merchant", "admin")
# What "clean" means. not_a_server_error: no 5xx. status_code_conformance: no status the operation does not declare.
# response_schema_conformance / content_type_conformance: bodies as documented. negative_data_rejection: what the
# document says is invalid is refused. unsupported_method: a method a path does not have is a 405 with Allow.
# ignored_auth: an operation that needs a token refuses a request without one.
CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance", "content_type_conformance",
          "negative_data_rejection", "unsupported_method", "ignored_auth", "missing_required_header")
PHASES = ("examples", "coverage", "fuzzing")
FUZZ_ADMIN_PHONE = "13800000009"


@dataclass
class RoleRun:
    role: str
    returncode: int
    seconds: float
    operations: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    output: str = ""


@dataclass
class FuzzReport:
    runs: list[RoleRun]

    @property
    def ok(self) -> bool:
        return all(r.returncode == 0 and not r.failures for r in self.runs)

    def summary(self) -> str:
        lines = [f"{'role':<10} {'operations':>10} {'test cases':>10} {'failures':>8} {'seconds':>8}"]
        for r in self.runs:
            lines.append(f"{r.role:<10} {r.operations:>10} {r.cases:>10} {len(r.failures):>8} {r.seconds:>8.1f}")
        return "\n".join(lines)


def prepare(client: object) -> dict[str, str]:
    """A small world through the API (tasks open and funded, an application, a delivery), and a token per role."""
    from infra.local.client import LocalClient
    from infra.local.seed import seed
    from shared.admin.service import make_admin
    from shared.uow import run

    assert isinstance(client, LocalClient)
    seed(client, tasks=6, rng_seed=11)
    merchant = client.wx_login("merchant-星火科技")
    developer = client.wx_login("dev-阿杰")
    run(lambda uow: make_admin(uow, "+86" + FUZZ_ADMIN_PHONE))  # the seed's admin just had its one SMS a minute
    admin = client.sms_login(FUZZ_ADMIN_PHONE)
    mine = client.expect(200, "GET", "/tasks/mine", token=merchant.token).body["items"]
    if mine:
        applied = client.expect(201, "POST", "/applications", {"task_id": mine[0]["id"]}, developer.token).body
        client.expect(200, "POST", f"/applications/{applied['id']}/accept", None, merchant.token)
        client.expect(201, "POST", f"/work/{mine[0]['id']}/deliveries", {"content": "已完成，请验收。"},
                      developer.token)
    return {"developer": developer.token, "merchant": merchant.token, "admin": admin.token}


def run_role(base_url: str, role: str, token: str, *, max_examples: int, seed: int, phases: tuple[str, ...] = PHASES,
             workers: int = 1, report_dir: Path | None = None) -> RoleRun:
    """One schemathesis run as `role`; the JUnit report counts operations and test cases."""
    report_dir = report_dir or Path(tempfile.mkdtemp(prefix=f"fuzz-{role}-"))
    junit = report_dir / f"{role}.xml"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json", "--url", base_url,
        "--header", f"Authorization: Bearer {token}",
        "--checks", ",".join(CHECKS), "--phases", ",".join(phases), "--mode", "all",
        "--max-examples", str(max_examples), "--seed", str(seed), "--workers", str(workers),
        "--suppress-health-check", "all", "--request-timeout", "30", "--no-color",
        "--report", "junit", "--report-junit-path", str(junit),
        "--output-truncate", "true", "--generation-database", "none",
    ]
    started = time.monotonic()
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603 - our argv
    run = RoleRun(role, done.returncode, time.monotonic() - started, output=done.stdout + done.stderr)
    if junit.exists():
        root = ElementTree.parse(junit).getroot()  # noqa: S314 - a file schemathesis just wrote
        cases = root.iter("testcase")
        for case in cases:
            run.operations += 1
            for failure in [*case.iter("failure"), *case.iter("error")]:
                detail = (failure.text or "").strip()[:1500]
                run.failures.append(f"{case.get('name')}: {failure.get('message') or ''}\n{detail}".rstrip())
    match = re.search(r"Test cases:\s*(\d+)\s+generated", run.output)
    if match:
        run.cases = int(match.group(1))
    return run


def fuzz(base_url: str, tokens: dict[str, str], *, max_examples: int, seed: int, phases: tuple[str, ...] = PHASES,
         workers: int = 1) -> FuzzReport:
    return FuzzReport([run_role(base_url, role, tokens[role], max_examples=max_examples, seed=seed, phases=phases,
                                workers=workers) for role in ROLES])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz the local platform from its OpenAPI document (schemathesis).")
    parser.add_argument("--max-examples", type=int, default=50, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=None, help="random seed (printed, to reproduce a run)")
    parser.add_argument("--ephemeral", action="store_true", help="free ports instead of CODELINK_PORT_BASE's")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--phases", default=",".join(PHASES))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5s %(name)s: %(message)s")
    logging.getLogger("codelink").setLevel(logging.ERROR)  # refusals are expected; the fuzzer's report is what matters
    log.setLevel(logging.INFO)

    from infra.local.client import LocalClient, dev_ports
    from infra.local.platform import LocalPlatform

    ports = {k: 0 for k in ("gateway", "wechat", "sms", "scf", "wechatpay")} if args.ephemeral else dev_ports()
    platform = LocalPlatform(database_name="codelink_fuzz", fresh_database=True, jobs_kick="scf",
                             gateway_port=ports["gateway"], wechat_port=ports["wechat"], sms_port=ports["sms"],
                             scf_port=ports["scf"], wechatpay_port=ports["wechatpay"]).start()
    try:
        f = platform.fakes
        client = LocalClient(gateway=platform.gateway.base_url, wechat=f["wechat"].base_url, sms=f["sms"].base_url,
                             wechatpay=f["wechatpay"].base_url)
        tokens = prepare(client)
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
        log.info("fuzzing %s as %s, %d examples per operation, seed %d", platform.gateway.base_url,
                 "/".join(ROLES), args.max_examples, seed)
        started = time.monotonic()
        report = fuzz(platform.gateway.base_url, tokens, max_examples=args.max_examples, seed=seed,
                      phases=tuple(args.phases.split(",")), workers=args.workers)
        for run in report.runs:
            if run.failures or run.returncode:
                print(f"\n===== {run.role}: schemathesis exit {run.returncode} =====\n{run.output[-20000:]}")
        print(f"\n{report.summary()}\nseed {seed}, {time.monotonic() - started:.0f} s")
        print("make fuzz: clean" if report.ok else "make fuzz: FAILED")
        return 0 if report.ok else 1
    finally:
        platform.stop()
        platform.drop_database()


if __name__ == "__main__":
    raise SystemExit(main())
