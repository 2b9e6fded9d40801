"""serverless.yml as `scf deploy` turns it into SCF functions.

The transformation is multi-scf's own, re-implemented in infra/deploy/multiscf.py from
serverless-components/tencent-multi-scf src/formatter.ts (formatInputs, formatFaasInputs) at commit
02cf5633e30e53c02528b03f1458c2b2d6e86b34 and serverless-tencent/tencent-component-toolkit src/modules/scf/utils.ts
(formatInputs: Role, Cls*, Environment, VpcConfig, Layers) at commit 4b0b78ba039fe4619db1e5a73e15207ad7d1ad43.
Applied to our manifests with realistic production values (infra/deploy/example.py), every function must end up with
every variable its settings require, within SCF's 4 KB, and with its role, VPC, logs and layers.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.deploy import multiscf
from infra.deploy.example import production_environment, role_environment
from infra.local.manifest import DEFAULT_PATH, MIGRATE_PATH
from shared.config import DEPLOYER_VARIABLES, RESERVED_PREFIXES, Settings

MANIFESTS = (DEFAULT_PATH, MIGRATE_PATH)
# The deploying shell: the functions' variables plus what only the CLI reads.
DEPLOY_SHELL = {"STAGE": "prod", "CODELINK_ROLE": "codelink-runtime", "VPC_ID": "vpc-8e0ypm3z",
                "SUBNET_ID": "subnet-3lzrkspo", "CLS_LOGSET_ID": "7e34a3a7-5b7a-4e0f-9d0a-0c2c1f3b1a11",
                "CLS_TOPIC_ID": "2a6e4c1b-93f2-4d0b-8f61-5f4f1c0b7d22", "TENCENT_SECRET_ID": "AKIDdeployer",
                "TENCENT_SECRET_KEY": "deployer-secret-key"}


def document(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shell() -> dict[str, str]:
    return {**production_environment(), **DEPLOY_SHELL}


@pytest.fixture(scope="module")
def deployed(shell) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in MANIFESTS:
        out.update(multiscf.deployed_functions(document(path), shell))
    return out


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch):
    """Make the process environment exactly what SCF gives one function: its variables plus the role's."""

    def apply(variables: dict[str, str]) -> None:
        for name in list(os.environ):
            if name.lower() in Settings.model_fields or name in DEPLOYER_VARIABLES:
                monkeypatch.delenv(name)
        for name, value in {**variables, **role_environment()}.items():
            monkeypatch.setenv(name, value)

    return apply


def test_every_function_gets_every_variable_its_settings_require(deployed, function_env) -> None:
    assert set(deployed) >= {"auth", "tasks", "payments", "jobs_worker", "timers", "migrate"}
    for name, params in deployed.items():
        variables = multiscf.variables(params)
        assert variables, f"{name}: deploys with no environment at all"
        function_env(variables)
        settings = Settings()  # raises, naming each missing or unusable variable, if anything is wrong
        assert settings.environment == "production", name


def test_the_environment_fits_in_4_kb_with_realistic_values(deployed) -> None:
    sizes = {name: multiscf.environment_bytes(multiscf.variables(p)) for name, p in deployed.items()}
    largest = max(sizes.values())
    assert largest <= multiscf.ENVIRONMENT_LIMIT_BYTES, sizes
    # Headroom for the next settings: a quarter of the limit would be a warning sign, not a failure.
    print(f"largest function environment: {largest} bytes of {multiscf.ENVIRONMENT_LIMIT_BYTES}")


def test_the_shell_values_arrive_unchanged(deployed, shell) -> None:
    for name, params in deployed.items():
        for key, value in multiscf.variables(params).items():
            assert value == shell[key], f"{name}: {key}"


def test_an_unexported_variable_arrives_as_undefined_and_production_refuses_it(shell, function_env) -> None:
    without = {k: v for k, v in shell.items() if k != "SMS_SIGN_NAME"}
    params = multiscf.deployed_functions(document(DEFAULT_PATH), without)["auth"]
    variables = multiscf.variables(params)
    assert variables["SMS_SIGN_NAME"] == "undefined"  # String(undefined) in the toolkit
    function_env(variables)
    with pytest.raises(ValueError, match="SMS_SIGN_NAME arrived as 'undefined'"):
        Settings()


def test_an_environment_key_would_deploy_no_variables_at_all() -> None:
    """Why serverless.yml says `environments`: multi-scf overwrites `environment` (the bug this file had)."""
    doc = copy.deepcopy(document(DEFAULT_PATH))
    body = doc["inputs"]["functions"]["auth"]
    body["environment"] = {"variables": {"DATABASE_URL": "postgresql://db/x"}}
    del body["environments"]
    params = multiscf.deployed_functions(doc, {})["auth"]
    assert "Environment" not in params  # formatFaasInputs replaced it with an empty map


def test_the_deployers_credentials_never_reach_a_function(deployed) -> None:
    for name, params in deployed.items():
        keys = set(multiscf.variables(params))
        assert not keys & set(DEPLOYER_VARIABLES), name
        assert not [k for k in keys if k.startswith(RESERVED_PREFIXES)], f"{name}: SCF reserves these prefixes"
        assert "DEPLOYER" not in "".join(multiscf.variables(params).values()).upper()


def test_every_function_runs_with_the_role_in_the_vpc_logging_to_cls(deployed) -> None:
    for name, params in deployed.items():
        assert params["Role"] == "codelink-runtime", name
        assert params["VpcConfig"] == {"VpcId": "vpc-8e0ypm3z", "SubnetId": "subnet-3lzrkspo"}, name
        assert params["ClsLogsetId"] and params["ClsTopicId"], name
        assert params["Runtime"] == "Python3.10" and params["Namespace"] == "codelink-prod", name
        assert params["FunctionName"] == name and params["Handler"] == f"scf_{name}.main_handler"


def test_every_function_mounts_the_core_layer_first(deployed) -> None:
    from infra.package import LAYERS

    versions = set()
    for name, params in deployed.items():
        layers = [layer["LayerName"] for layer in params["Layers"]]
        assert layers[0] == "codelink-core", name
        assert set(layers) <= set(LAYERS), f"{name}: unknown layer in {layers}"
        assert len(layers) == len(set(layers))
        versions.add(params["Layers"][0]["LayerVersion"])
    assert len(versions) == 1, "every function must mount the same core layer version"


def test_the_migrate_function_runs_with_the_same_settings_as_the_others(deployed) -> None:
    reference = deployed["auth"]
    for key in ("Environment", "Role", "VpcConfig", "ClsLogsetId", "ClsTopicId", "Layers", "Namespace"):
        assert deployed["migrate"][key] == reference[key], key


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.parent.name)
def test_the_package_ships_its_bytecode(path: Path) -> None:
    src = document(path)["inputs"]["src"]
    patterns = src.get("exclude") or [] if isinstance(src, dict) else []
    assert not [p for p in patterns if "pycache" in p or ".pyc" in p], "the compiled .pyc files must ship"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.parent.name)
def test_every_env_reference_is_known(path: Path) -> None:
    """Each `${env:X}` is a setting or a documented deploy-time variable: a typo would deploy "undefined"."""
    from infra.deploy.check import DEPLOY_TIME_VARIABLES

    for name in multiscf.env_references(document(path)):
        assert name.lower() in Settings.model_fields or name in DEPLOY_TIME_VARIABLES, name


def test_transformation_details() -> None:
    """The transcription's own corner cases: shallow merge of inputs under functions, String(), vpc -> vpcConfig."""
    doc = {"app": "a", "stage": "s", "name": "n", "inputs": {
        "src": {"src": "./x"}, "runtime": "Python3.10", "timeout": 3, "environments": [{"key": "A", "value": "1"}],
        "functions": {"f": {"handler": "h.main", "vpc": {"vpcId": "v", "subnetId": "s"}},
                      "g": {"handler": "g.main", "environments": [{"key": "B", "value": 2}], "timeout": 9}}}}
    functions = multiscf.deployed_functions(doc, {})
    assert functions["f"]["FunctionName"] == "n-s-a-f"  # formatScfName without `name:`
    assert multiscf.variables(functions["f"]) == {"A": "1"}  # inherited from inputs
    assert multiscf.variables(functions["g"]) == {"B": "2"}  # replaced, not merged; String(2)
    assert functions["g"]["Timeout"] == 9 and functions["f"]["Timeout"] == 3
    assert functions["f"]["VpcConfig"] == {"VpcId": "v", "SubnetId": "s"} and "VpcConfig" not in functions["g"]
    assert multiscf.resolve("x-${env:NOPE}-y", {}) == "x-undefined-y"
    assert multiscf.resolve("${env:NOPE}", {}) is multiscf.UNDEFINED
