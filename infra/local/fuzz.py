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
import json
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
    warnings: list[str] = field(default_factory=list)  # schemathesis's (e.g. operations that only saw 401/403)
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
        for r in self.runs:
            lines += [f"  {r.role}: {w}" for w in r.warnings]
        return "\n".join(lines)


@dataclass
class World:
    """What the fuzzer starts from: a token per role, and ids that exist (so part of the generated requests reach the
    use cases instead of stopping at 404)."""

    tokens: dict[str, str]
    known: dict[str, list[int | str]]


def prepare(client: object) -> World:
    """A small world through the API — open funded tasks, applications, a delivered task, an accepted one (so a payout),
    a dispute — and a token per role."""
    from infra.local.client import LocalClient
    from infra.local.seed import seed
    from shared.auth.service import make_admin
    from shared.uow import run

    assert isinstance(client, LocalClient)
    seed(client, tasks=6, rng_seed=11)
    merchant = client.wx_login("merchant-星火科技")
    developer = client.wx_login("dev-阿杰")
    run(lambda uow: make_admin(uow, "+86" + FUZZ_ADMIN_PHONE))  # the seed's admin just had its one SMS a minute
    admin = client.sms_login(FUZZ_ADMIN_PHONE)
    mine = [t["id"] for t in client.expect(200, "GET", "/tasks/mine", token=merchant.token).body["items"]]
    applications = []
    for index, task_id in enumerate(mine[:3]):
        applied = client.expect(201, "POST", "/applications", {"task_id": task_id}, developer.token).body
        applications.append(applied["id"])
        if index < 2:  # two assigned and delivered: one is disputed, one accepted (escrow released → a payout)
            client.expect(200, "POST", f"/applications/{applied['id']}/accept", None, merchant.token)
            client.expect(201, "POST", f"/work/{task_id}/deliveries", {"content": "已完成，请验收。"}, developer.token)
    disputes = []
    if len(mine) >= 2:
        opened = {"task_id": mine[0], "reason": "交付与需求不符，多次沟通无果。"}
        disputes.append(client.expect(201, "POST", "/disputes", opened, merchant.token).body["id"])
        client.expect(200, "POST", f"/work/{mine[1]}/accept", {"note": "很好"}, merchant.token)
    payouts = client.wait_for(lambda: [p["id"] for p in client.call("GET", "/payouts", token=developer.token)
                                       .body["items"]], "the accepted task's payout", timeout=20) if disputes else []
    orders = [o["out_trade_no"] for t in mine
              for o in client.expect(200, "GET", f"/payments/tasks/{t}/funding", token=merchant.token).body["orders"]]
    notifications = [n["id"] for who in (developer, merchant)
                     for n in client.expect(200, "GET", "/notifications", token=who.token).body["items"]]
    skills = [s["slug"] for c in client.expect(200, "GET", "/profiles/skills").body for s in c["skills"]]
    rules = list(client.expect(200, "GET", "/admin/rules", token=admin.token).body)
    tasks = sorted({*mine, *(t["id"] for t in client.expect(200, "GET", "/tasks", query={"limit": 50}).body["items"])})
    return World(
        tokens={"developer": developer.token, "merchant": merchant.token, "admin": admin.token},
        known={"task_id": tasks, "application_id": applications, "dispute_id": disputes, "payout_id": payouts,
               "out_trade_no": orders, "notification_id": notifications, "skill": skills, "key": rules,
               "user_id": [developer.user_id, merchant.user_id]},
    )


def config(world: World) -> str:
    """schemathesis.toml: half the time a path parameter, a task_id in a body or query, or a skill tag is one that
    exists (schemathesis "dictionaries"); the other half it is generated."""
    lines = []
    for name, values in world.known.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values, ensure_ascii=False)}", ""]
    bindings = {f"path.{name}": name for name in world.known if name not in ("skill",)}
    bindings.update({"body.task_id": "task_id", "query.task_id": "task_id", "body.skill_tags[*]": "skill",
                     "body.skills[*]": "skill"})
    lines.append("[parameters]")
    for key, name in bindings.items():
        if world.known.get(name):
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    return "\n".join(lines) + "\n"


def run_role(base_url: str, role: str, world: World, *, max_examples: int, seed: int,
             phases: tuple[str, ...] = PHASES, workers: int = 1, report_dir: Path | None = None) -> RoleRun:
    """One schemathesis run as `role`; the JUnit report counts operations and test cases."""
    report_dir = report_dir or Path(tempfile.mkdtemp(prefix=f"fuzz-{role}-"))
    junit = report_dir / f"{role}.xml"
    settings = report_dir / "schemathesis.toml"
    settings.write_text(config(world), encoding="utf-8")
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(settings), "run", f"{base_url}/openapi.json",
        "--url", base_url, "--header", f"Authorization: Bearer {world.tokens[role]}",
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
    warnings = re.search(r"\nWarnings:\n(.*?)\n(?:Test cases|Reports):", run.output, re.S)
    if warnings:
        run.warnings = [line.strip() for line in warnings.group(1).splitlines() if line.strip()]
    return run


def fuzz(base_url: str, world: World, *, max_examples: int, seed: int, phases: tuple[str, ...] = PHASES,
         workers: int = 1) -> FuzzReport:
    return FuzzReport([run_role(base_url, role, world, max_examples=max_examples, seed=seed, phases=phases,
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
        world = prepare(client)
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
        log.info("fuzzing %s as %s, %d examples per operation, seed %d", platform.gateway.base_url,
                 "/".join(ROLES), args.max_examples, seed)
        started = time.monotonic()
        report = fuzz(platform.gateway.base_url, world, max_examples=args.max_examples, seed=seed,
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
