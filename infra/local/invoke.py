"""Run one function on one event file and pretty-print its answer.

    python -m infra.local.invoke FN EVENT_FILE      (EVENT_FILE "-" reads stdin)

The function runs in process exactly as the local gateway runs it (infra.local.gateway.FunctionRunner).
When the answer is an HTTP response whose body is JSON, the body is also shown decoded, since escaped JSON
inside JSON is hard to read. Exit status: 0 when the function returned, 1 when it raised (traceback printed).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from infra.local.gateway import FunctionRunner
from infra.local.manifest import load_manifest


def load_event(path: str, stdin: TextIO = sys.stdin) -> dict:
    text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError(f"{path}: an event must be a JSON object")
    return event


def render(answer: Any) -> str:
    out = [json.dumps(answer, ensure_ascii=False, indent=2, default=str)]
    if isinstance(answer, dict) and isinstance(answer.get("body"), str) and not answer.get("isBase64Encoded"):
        try:
            body = json.loads(answer["body"])
        except ValueError:
            pass
        else:
            out += ["--- body (decoded) ---", json.dumps(body, ensure_ascii=False, indent=2)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one SCF function locally on one event file.")
    parser.add_argument("function", help="function name, as in serverless.yml (e.g. tasks)")
    parser.add_argument("event", help="JSON event file, or - for stdin")
    parser.add_argument("--package", default="functions", help="package holding <name>/index.py")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    manifest = load_manifest() if args.package == "functions" else None
    runner = FunctionRunner(args.package, manifest)
    event = load_event(args.event)
    platform = None
    if args.package == "functions":
        # The real functions need what `make dev` gives them: the dev database (migrated) and the fakes.
        from infra.local.platform import LocalPlatform

        platform = LocalPlatform(database_name="codelink", jobs_kick="off").start()
    try:
        answer = runner.invoke(args.function, event)
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if platform is not None:
            platform.stop()
    print(render(answer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
