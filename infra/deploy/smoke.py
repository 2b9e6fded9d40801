"""The smoke test after a deploy (`make smoke`): every function answers, reads its settings, reaches the database,
and runs on the migrated schema.

    python -m infra.deploy.smoke [--base https://api.example.cn] [--url auth=https://<id>.ap-shanghai.tencentscf.com]
                                 [--origin https://admin.example.cn] [--invoke]

- For every HTTP function of serverless.yml: `GET /<function>/_health` (shared/runtime.py) through the custom domain
  (`--base`, default PUBLIC_BASE_URL) and through each Function URL given with `--url name=URL` (the console or
  `scf info` shows them). The answer must be 200, name that function, and report the newest migration of this
  checkout (a deploy whose schema was not migrated fails here).
- With `--origin` (default: the first of CORS_ALLOWED_ORIGINS): a CORS preflight from that origin is answered 204 with
  `Access-Control-Allow-Origin`.
- With `--invoke` (deployer credentials, see infra/deploy/remote.py): the functions without a URL — the jobs worker
  (a kick: it works off whatever is due, which is idempotent) and `migrate` (status only).
Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from infra.local.manifest import DEFAULT_PATH, load_manifest
from infra.migrate import migration_files

HEALTH = "_health"


@dataclass
class Result:
    target: str
    ok: bool
    detail: str


def _request(url: str, method: str = "GET", headers: dict[str, str] | None = None,
             timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310 - scheme checked
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def check_health(base: str, function: str, expected_migration: str | None) -> Result:
    url = f"{base.rstrip('/')}/{function}/{HEALTH}"
    try:
        status, _, body = _request(url)
        answer: Any = json.loads(body or b"null")
    except (OSError, ValueError) as exc:
        return Result(url, False, f"no answer: {exc}")
    if status != 200 or not isinstance(answer, dict) or answer.get("ok") is not True:
        return Result(url, False, f"HTTP {status}: {body[:200]!r}")
    if answer.get("function") != function:
        return Result(url, False, f"answered by {answer.get('function')!r}, not {function!r}: routing is wrong")
    if expected_migration and answer.get("migration") != expected_migration:
        return Result(url, False, f"schema at {answer.get('migration')!r}, the code expects {expected_migration!r}:"
                                  " run make deploy-migrate")
    return Result(url, True, f"ok, schema {answer.get('migration')}")


def check_preflight(base: str, function: str, origin: str) -> Result:
    url = f"{base.rstrip('/')}/{function}/{HEALTH}"
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}
    try:
        status, answer_headers, _ = _request(url, "OPTIONS", headers)
    except OSError as exc:
        return Result(f"OPTIONS {url}", False, f"no answer: {exc}")
    allowed = answer_headers.get("access-control-allow-origin")
    ok = status == 204 and allowed == origin
    return Result(f"OPTIONS {url} from {origin}", ok, "ok" if ok else f"HTTP {status}, allow-origin {allowed!r}")


def run(base: str | None, urls: dict[str, str], origin: str | None, invoke: bool) -> list[Result]:
    manifest = load_manifest(DEFAULT_PATH)
    files = migration_files()
    expected = files[-1].name if files else None
    results = []
    for function in sorted(manifest.http_functions):
        if base:
            results.append(check_health(base, function, expected))
        if function in urls:
            results.append(check_health(urls[function], function, expected))
    if origin and base:
        results.append(check_preflight(base, sorted(manifest.http_functions)[0], origin))
    if invoke:
        from infra.deploy.remote import Remote, RemoteError

        remote = Remote.from_environment()
        for function, event in (("jobs_worker", {"kind": "kick"}), ("migrate", {"action": "status"})):
            try:
                answer = remote.invoke(function, event)
                ok = isinstance(answer, dict) and answer.get("ok") is True and not answer.get("pending")
                results.append(Result(f"invoke {function}", ok, json.dumps(answer, ensure_ascii=False)[:200]))
            except RemoteError as exc:
                results.append(Result(f"invoke {function}", False, str(exc)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default=os.environ.get("PUBLIC_BASE_URL"), help="the custom domain's origin")
    parser.add_argument("--url", action="append", default=[], metavar="NAME=URL", help="a function's Function URL")
    origins = [o.strip() for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()]
    parser.add_argument("--origin", default=origins[0] if origins else None, help="check CORS from this origin")
    parser.add_argument("--invoke", action="store_true", help="also invoke the functions without a URL")
    args = parser.parse_args(argv)
    urls = dict(item.split("=", 1) for item in args.url)
    if not args.base and not urls:
        parser.error("give --base (or PUBLIC_BASE_URL) and/or --url name=URL")
    results = run(args.base, urls, args.origin, args.invoke)
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'}  {result.target}: {result.detail}")
    failed = [r for r in results if not r.ok]
    print(f"smoke: {len(results) - len(failed)} of {len(results)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
