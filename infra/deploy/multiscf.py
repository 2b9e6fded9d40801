"""What `scf deploy` makes of serverless.yml, re-implemented from the deploying code so it can be checked offline.

Three steps, each a transcription of the JavaScript that runs at deploy time (keep them literal; when the component
is upgraded, re-read the cited files and update this module and the commit hashes):

1. The CLI substitutes `${env:NAME}` from the deploying shell; an unset variable becomes JavaScript `undefined`
   (serverless-cloud-framework's variable resolution), modelled here by `UNDEFINED`.
2. serverless-components/tencent-multi-scf, src/formatter.ts at commit 02cf5633e30e53c02528b03f1458c2b2d6e86b34:
   `formatInputs` merges the top-level inputs (minus `src`) under each function (`Object.assign({}, commonInputs,
   func)`: shallow, the function's keys win), then `formatFaasInputs` turns the `environments` list into
   `environment = {variables}` — unconditionally, since `environments` defaults to `[]`, so an `environment:` key
   written in serverless.yml is always replaced — and copies `vpc` to `vpcConfig`.
3. serverless-tencent/tencent-component-toolkit, src/modules/scf/utils.ts `formatInputs` at commit
   4b0b78ba039fe4619db1e5a73e15207ad7d1ad43: the CreateFunction / UpdateFunctionConfiguration parameters. Every
   variable value goes through `String(val)`, which is how an unset `${env:X}` reaches the function as the text
   "undefined".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

MULTI_SCF_COMMIT = "02cf5633e30e53c02528b03f1458c2b2d6e86b34"
TOOLKIT_COMMIT = "4b0b78ba039fe4619db1e5a73e15207ad7d1ad43"
# src/config.ts of the component: the defaults formatInputs applies.
CONFIGS = {"type": "event", "namespace": "default", "runtime": "Nodejs12.16", "description": "Created by Serverless"}
# SCF's limit on one function's environment (cloud.tencent.com/document/product/583/11637: 环境变量 4KB).
ENVIRONMENT_LIMIT_BYTES = 4 * 1024

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class _Undefined:
    """JavaScript's `undefined`: falsy, and `String(undefined)` is "undefined"."""

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


def env_references(document: Any) -> set[str]:
    """Every NAME of `${env:NAME}` in a YAML document."""
    found: set[str] = set()
    if isinstance(document, str):
        found.update(_ENV_REF.findall(document))
    elif isinstance(document, dict):
        for value in document.values():
            found |= env_references(value)
    elif isinstance(document, list):
        for value in document:
            found |= env_references(value)
    return found


def resolve(document: Any, env: Mapping[str, str]) -> Any:
    """Step 1: `${env:NAME}` replaced from `env`; a value that is only an unset reference becomes UNDEFINED, an unset
    reference inside a longer string becomes the text "undefined" (JavaScript string interpolation)."""
    if isinstance(document, str):
        whole = _ENV_REF.fullmatch(document)
        if whole:
            return env.get(whole.group(1), UNDEFINED)
        return _ENV_REF.sub(lambda m: env.get(m.group(1), "undefined"), document)
    if isinstance(document, dict):
        return {key: resolve(value, env) for key, value in document.items()}
    if isinstance(document, list):
        return [resolve(value, env) for value in document]
    return document


def format_faas_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Step 2, `formatFaasInputs` (src/formatter.ts)."""
    environments = inputs.get("environments", [])
    tags = inputs.get("tags", [])
    if environments is None or environments is UNDEFINED:
        environments = []  # the destructuring default applies to undefined only; YAML null is our reading
    if isinstance(environments, list):  # `environments instanceof Array`
        inputs["environment"] = {"variables": {item["key"]: item["value"] for item in environments}}
    if isinstance(tags, list):
        inputs["tags"] = {item["key"]: item["value"] for item in tags}
    if inputs.get("vpc"):
        inputs["vpcConfig"] = inputs["vpc"]
    return inputs


def format_inputs(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Step 2, the per-function part of `formatInputs` (src/formatter.ts): one inputs object per function."""
    inputs = document["inputs"]
    common = copy.deepcopy({
        **inputs,
        "type": inputs.get("type") or CONFIGS["type"],
        "namespace": inputs.get("namespace") or CONFIGS["namespace"],
        "runtime": inputs.get("runtime") or CONFIGS["runtime"],
        "description": inputs.get("description") or CONFIGS["description"],
    })
    common.pop("src", None)
    out = []
    for key, func in inputs["functions"].items():
        current = format_faas_inputs({**common, **copy.deepcopy(func)})
        current["key"] = key
        default_name = f"{document.get('name')}-{document.get('stage')}-{document.get('app')}-{key}"
        current["name"] = current.get("name") or default_name
        out.append(current)
    return out


def js_string(value: Any) -> str:
    """JavaScript `String(value)` for what YAML can hold."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def scf_parameters(inputs: dict[str, Any]) -> dict[str, Any]:
    """Step 3, the parameters of toolkit `formatInputs` (src/modules/scf/utils.ts) that CodeLink relies on."""
    params: dict[str, Any] = {
        "FunctionName": inputs.get("name"),
        "Handler": inputs.get("handler"),
        "Runtime": inputs.get("runtime"),
        "Namespace": inputs.get("namespace") or "default",
        "Timeout": inputs.get("timeout"),
        "MemorySize": inputs.get("memorySize"),
    }
    if inputs.get("role"):
        params["Role"] = inputs["role"]
    cls = inputs.get("cls")
    if cls:
        if cls.get("logsetId", UNDEFINED) is not UNDEFINED:
            params["ClsLogsetId"] = cls["logsetId"]
        if cls.get("topicId", UNDEFINED) is not UNDEFINED:
            params["ClsTopicId"] = cls["topicId"]
    environment = inputs.get("environment")
    if environment and environment.get("variables"):
        params["Environment"] = {"Variables": [{"Key": key, "Value": js_string(value)}
                                               for key, value in environment["variables"].items()]}
    vpc = inputs.get("vpcConfig")
    if vpc:
        params["VpcConfig"] = {k: v for k, v in (("VpcId", vpc.get("vpcId")), ("SubnetId", vpc.get("subnetId"))) if v}
    if inputs.get("layers"):
        params["Layers"] = [{"LayerName": item["name"], "LayerVersion": item["version"]} for item in inputs["layers"]]
    return params


def deployed_functions(document: dict[str, Any], env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """key -> the SCF parameters `scf deploy` would send for it, with the shell environment `env`."""
    resolved = resolve(document, env)
    return {inputs["key"]: scf_parameters(inputs) for inputs in format_inputs(resolved)}


def variables(params: dict[str, Any]) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in params.get("Environment", {}).get("Variables", [])}


def environment_bytes(variables: Mapping[str, str]) -> int:
    """Size of a function's environment as SCF counts it against 4 KB; counted generously as `KEY=VALUE` per
    variable in UTF-8."""
    return sum(len(key.encode()) + 1 + len(value.encode()) for key, value in variables.items())
