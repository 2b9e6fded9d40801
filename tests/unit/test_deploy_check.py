"""`make deploy-check` (infra/deploy/check.py) and the custom domain's routes (infra/deploy/domain.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.deploy import check
from infra.deploy.domain import custom_domain_request, endpoints, route
from infra.deploy.example import production_environment
from infra.local.manifest import load_manifest

SHELL_EXTRAS = {"STAGE": "prod", "CODELINK_ROLE": "codelink-runtime", "VPC_ID": "vpc-1", "SUBNET_ID": "subnet-1",
                "CLS_LOGSET_ID": "logset-1", "CLS_TOPIC_ID": "topic-1"}


def test_a_complete_production_shell_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {**production_environment(), **SHELL_EXTRAS}
    assert check.run(env, build=tmp_path / "no-build") == 0
    out = capsys.readouterr().out
    assert "shell: 21 functions" in out and "deploy-check: all good" in out
    assert env["TOKEN_SECRET"] not in out and env["WECHATPAY_APIV3_KEY"] not in out  # no value is printed


def test_an_unexported_variable_and_a_development_value_fail(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    env = {**production_environment(), **SHELL_EXTRAS, "WECHAT_SECRET": "dev-secret"}
    del env["VPC_ID"], env["SMS_TEMPLATE_ID"]
    assert check.run(env, build=tmp_path / "no-build") == 1
    out = capsys.readouterr().out
    assert "VPC_ID is not exported" in out and "SMS_TEMPLATE_ID is not exported" in out
    assert "SMS_TEMPLATE_ID arrived as 'undefined'" in out
    assert "WECHAT_SECRET" in out


def test_without_a_production_shell_the_example_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.run({"ENVIRONMENT": "local"}, build=tmp_path / "no-build") == 0
    out = capsys.readouterr().out
    assert "example: 21 functions" in out and "skip  ENVIRONMENT is not 'production'" in out


def test_a_stale_build_is_reported(tmp_path: Path) -> None:
    from infra.package import build_code

    manifests = [load_manifest(check.MANIFESTS[0]), load_manifest(check.MANIFESTS[1])]
    build_code(check.ROOT, manifests, tmp_path / "scf")
    (tmp_path / "scf" / "shared" / "config.py").write_text("# an older version\n")
    problems = check.build_problems(manifests, tmp_path)
    assert any("older than the sources" in p for p in problems)
    assert any("no Python 3.10 bytecode" in p for p in problems)
    assert any("codelink-core.zip is missing" in p for p in problems)


def test_read_env_file(tmp_path: Path) -> None:
    path = tmp_path / "prod.env"
    path.write_text('ENVIRONMENT=production\nWECHATPAY_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\nMIIE"\n# note\n')
    values = check.read_env_file(path)
    assert values["ENVIRONMENT"] == "production" and values["WECHATPAY_PRIVATE_KEY"].startswith("-----BEGIN")


# --- the custom domain ---


def test_the_custom_domain_routes_each_function_by_its_first_segment() -> None:
    manifest = load_manifest()
    config = endpoints(manifest, namespace="codelink-prod")
    assert {e["FunctionName"] for e in config} == set(manifest.http_functions)
    assert all(e["Namespace"] == "codelink-prod" and e["Qualifier"] == "$DEFAULT" for e in config)
    for name in manifest.http_functions:
        assert route(config, f"/{name}") == name
        assert route(config, f"/{name}/anything/deeper") == name
    assert route(config, "/payments/notify") == "payments"
    assert route(config, "/tasksx/1") is None and route(config, "/") is None and route(config, "/timers/x") is None


def test_the_custom_domain_agrees_with_the_local_gateway() -> None:
    """The gateway `make dev` runs routes the same way the cloud's custom domain does."""
    from infra.local.gateway import LocalGateway

    class Recorder:
        def invoke(self, function: str, event: dict) -> dict:
            return {"statusCode": 200, "headers": {}, "body": function}

    manifest = load_manifest()
    config = endpoints(manifest, namespace="x")
    gateway = LocalGateway(port=0, manifest=manifest, runner=Recorder())  # type: ignore[arg-type]
    for path in ["/tasks/12", "/auth/wechat", "/payments/notify", "/jobs_worker/x", "/nope", "/billing", "/"]:
        status, _, body = gateway.handle("GET", path, [], b"", "127.0.0.1")
        reached = body.decode() if status == 200 else None
        assert reached == route(config, path), path


def test_the_custom_domain_is_https_with_a_certificate() -> None:
    request = custom_domain_request("api.codelink-tech.cn", "cert-123", load_manifest(), namespace="codelink-prod")
    assert request["Protocol"] == "HTTPS" and request["CertConfig"] == {"CertificateId": "cert-123"}
    assert request["Domain"] == "api.codelink-tech.cn"
