"""serverless.yml (multi-scf component) as typed data, for the local runtime, packaging and tests.

Read: the functions, which of them have a Function URL (`type: http` trigger), their timer triggers, the layers and
the names of the environment variables each lists. `${env:...}` values stay as text; nothing here resolves them
(infra/deploy/multiscf.py applies the component's own input transformation for the deploy checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.local.cron import CronError, CronExpression, parse

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / "serverless.yml"
# The `migrate` function's own manifest: deployed before the others (docs/DEPLOY.md).
MIGRATE_PATH = ROOT / "infra" / "deploy" / "migrate" / "serverless.yml"
ENTRY_PREFIX = "scf_"  # entry modules generated at the package root (see serverless.yml)
_TRIGGER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")  # SCF: up to 60 chars, starts with a letter


class ManifestError(ValueError):
    """serverless.yml is not what the local runtime and the packager expect."""


@dataclass(frozen=True)
class TimerTrigger:
    function: str
    name: str  # the TriggerName the handler receives
    cron: str
    expression: CronExpression = field(repr=False, compare=False)
    enabled: bool = True
    argument: str = ""  # the event's "Message"


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the key under `functions:`; also the first path segment and the package functions/<name>/
    handler: str  # as deployed, e.g. scf_auth.main_handler
    deployed_name: str  # the SCF function name (may contain ${env:...})
    memory_size: int
    timeout: int
    http: bool
    timers: tuple[TimerTrigger, ...]
    environment: tuple[str, ...]  # variable names (multi-scf `environments`)
    layers: tuple[str, ...] = ()  # layer names, in the order SCF mounts them

    @property
    def module(self) -> str:
        """The module the local runtime imports."""
        return f"functions.{self.name}.index"

    @property
    def entry_module(self) -> str:
        return self.handler.rpartition(".")[0]


@dataclass(frozen=True)
class Manifest:
    app: str
    stage: str
    region: str
    runtime: str
    functions: dict[str, FunctionSpec]

    @property
    def http_functions(self) -> list[str]:
        return [name for name, spec in self.functions.items() if spec.http]

    @property
    def timers(self) -> list[TimerTrigger]:
        return [timer for spec in self.functions.values() for timer in spec.timers]

    def function(self, name: str) -> FunctionSpec:
        try:
            return self.functions[name]
        except KeyError:
            raise ManifestError(f"no function {name!r} in serverless.yml") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses duplicate keys: a second `billing:` under `functions:` would silently replace the
    first one with plain `yaml.safe_load`."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ManifestError(f"duplicate key {key!r} {key_node.start_mark}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_manifest(path: str | Path = DEFAULT_PATH) -> Manifest:
    with open(path, encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    return parse_manifest(document)


def parse_manifest(document: Any) -> Manifest:
    if not isinstance(document, dict) or document.get("component") != "multi-scf":
        raise ManifestError("serverless.yml must be a multi-scf component (component: multi-scf)")
    inputs = _mapping(document.get("inputs"), "inputs")
    functions_doc = _mapping(inputs.get("functions"), "inputs.functions")
    triggers_doc = inputs.get("triggers") or []
    if not isinstance(triggers_doc, list):
        raise ManifestError("inputs.triggers must be a list")

    http: set[str] = set()
    timers: dict[str, list[TimerTrigger]] = {name: [] for name in functions_doc}
    for index, trigger in enumerate(triggers_doc):
        where = f"inputs.triggers[{index}]"
        trigger = _mapping(trigger, where)
        kind, function = trigger.get("type"), trigger.get("function")
        if function not in functions_doc:
            raise ManifestError(f"{where}: function {function!r} is not declared under inputs.functions")
        params = _mapping(trigger.get("parameters"), f"{where}.parameters")
        if kind == "http":
            if function in http:
                raise ManifestError(f"{where}: function {function!r} already has a Function URL (http) trigger")
            http.add(function)
        elif kind == "timer":
            timers[function].append(_timer(function, params, where))
        else:
            raise ManifestError(f"{where}: trigger type {kind!r} is not used by CodeLink (http, timer)")

    functions: dict[str, FunctionSpec] = {}
    for name, body in functions_doc.items():
        body = _mapping(body, f"inputs.functions.{name}")
        handler = str(body.get("handler") or "")
        if handler != f"{ENTRY_PREFIX}{name}.main_handler":
            raise ManifestError(f"function {name}: handler must be {ENTRY_PREFIX}{name}.main_handler, got {handler!r}")
        names = [t.name for t in timers[name]]
        if len(names) != len(set(names)):
            raise ManifestError(f"function {name}: duplicate timer trigger names {names}")
        if "environment" in body:
            # multi-scf builds `environment` from `environments` and overwrites whatever was there
            # (tencent-multi-scf src/formatter.ts, formatFaasInputs): a function would deploy with no variables.
            raise ManifestError(f"function {name}: use `environments` (a list of key/value), not `environment`")
        env = body.get("environments") or []
        if not isinstance(env, list) or not all(isinstance(i, dict) and "key" in i for i in env):
            raise ManifestError(f"function {name}: environments must be a list of {{key, value}}")
        layers = body.get("layers") or []
        if not isinstance(layers, list) or not all(isinstance(i, dict) and i.get("name") for i in layers):
            raise ManifestError(f"function {name}: layers must be a list of {{name, version}}")
        functions[name] = FunctionSpec(
            name=name,
            handler=handler,
            deployed_name=str(body.get("name") or name),
            memory_size=int(body.get("memorySize") or 128),
            timeout=int(body.get("timeout") or 3),
            http=name in http,
            timers=tuple(timers[name]),
            environment=tuple(str(item["key"]) for item in env),
            layers=tuple(str(item["name"]) for item in layers),
        )
    return Manifest(
        app=str(document.get("app") or ""),
        stage=str(document.get("stage") or ""),
        region=str(inputs.get("region") or ""),
        runtime=str(inputs.get("runtime") or ""),
        functions=functions,
    )


def _timer(function: str, params: dict[str, Any], where: str) -> TimerTrigger:
    name = str(params.get("name") or "")
    if not _TRIGGER_NAME.match(name):
        raise ManifestError(f"{where}: timer name {name!r} must start with a letter, then letters, digits, - or _")
    cron = str(params.get("cronExpression") or "")
    try:
        expression = parse(cron)
    except CronError as exc:
        raise ManifestError(f"{where} ({function}/{name}): {exc}") from None
    return TimerTrigger(
        function=function,
        name=name,
        cron=cron,
        expression=expression,
        enabled=bool(params.get("enable", False)),  # multi-scf's default is false
        argument=str(params.get("argument") or ""),
    )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"{where} must be a mapping")
    return value
