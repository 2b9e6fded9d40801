"""Settings from the environment (pydantic-settings).

Everything an operator sets per deployment lives here; business rules that operators tune at run time (caps,
windows, commission tiers) live in the `config_values` table instead (see `shared/rules_config.py`), so they change
without a deploy.

The defaults are development values: `make dev` and the tests point the base URLs at the loopback fakes in
`infra/fakes/`. With `ENVIRONMENT=production` every setting is checked against `PRODUCTION_RULES` at start
(shared/runtime.py calls `get_settings()` in SCF's init phase), and every problem is reported at once: a development
secret or test key, a loopback or plain-http URL, a setting the deployment did not provide. docs/DEPLOY.md lists
the variables; `make deploy-check` runs the same checks offline against the deploying shell.

Three sources of values in the cloud, kept apart on purpose:
- serverless.yml `environments` (the deploying shell's `${env:X}`): everything below except the credentials;
- SCF itself: the execution role's temporary credentials (TENCENTCLOUD_SECRETID / _SECRETKEY / _SESSIONTOKEN);
  SCF reserves the SCF_, QCLOUD_ and TENCENTCLOUD_ prefixes, so none of our own variables may use them;
- never: the deployer's TENCENT_SECRET_ID / TENCENT_SECRET_KEY (the `scf` CLI's own login). A function that finds
  them in its environment refuses to start in production.

An unset `${env:X}` reaches the function as the string "undefined" (tencent-component-toolkit
src/modules/scf/utils.ts formats every variable with `String(val)`). Such values are dropped here (the default
applies) and, in production, refused by name: the deploying shell must export every variable serverless.yml names,
empty ("") to keep a default.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("codelink.config")

_DEV_TOKEN_SECRET = "dev-only-token-secret-change-me"
UNDEFINED = "undefined"
# The `scf` CLI's deploy credentials: they must never be in a function's environment.
DEPLOYER_VARIABLES = ("TENCENT_SECRET_ID", "TENCENT_SECRET_KEY")
# Prefixes SCF reserves for its own variables (cloud.tencent.com/document/product/583/30228, 环境变量 使用限制).
RESERVED_PREFIXES = ("SCF_", "QCLOUD_", "TENCENTCLOUD_")
# Regions that serve the SMS API (sms.tencentcloudapi.com, API 2021-01-11).
SMS_REGIONS = ("ap-guangzhou", "ap-beijing", "ap-nanjing")
# Ed25519 private key (base64 of the 32-byte seed) that signs growth reports in development and tests only.
DEV_REPORT_SIGNING_KEY = "YE8iEBfxsWHrUOg4BfZVcEqdrrnfCWBGquoUpb8fKZ4="


class Settings(BaseSettings):
    # env_ignore_empty: an exported-but-empty variable means "use the default", the same as an unset one.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, env_ignore_empty=True)

    # --- runtime ---
    environment: str = Field("local", description="local | test | production")
    database_url: str | None = Field(None, description="PostgreSQL URL; unset = embedded pgserver")
    embedded_pg_dir: str = Field(".data/pg", description="data directory of the embedded PostgreSQL")
    db_pool_size: int = 2
    log_level: str = "INFO"
    log_format: str = "json"  # one JSON object per line (CLS); "text" for a developer's terminal (make dev)
    # Token signing: HMAC-SHA256. In production this comes from the SCF environment (encrypted variable).
    token_secret: str = _DEV_TOKEN_SECRET
    access_token_ttl_seconds: int = 2 * 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # The one public origin (the custom domain in front of the Function URLs, docs/DEPLOY.md): the mini-program's
    # request whitelist, the admin console and WeChat Pay's notify URL all use it.
    public_base_url: str = "http://127.0.0.1:9000"
    # Browser origins allowed to call the API (CORS), comma-separated, e.g. the admin console's origin.
    cors_allowed_origins: str = ""

    # --- WeChat mini-program (wechatpy) ---
    wechat_appid: str = "wx-dev-appid"
    wechat_secret: str = "dev-secret"
    wechat_api_base: str = "https://api.weixin.qq.com"
    # The monthly lottery's public randomness: a drand chain's HTTP API (quicknet; shared/adapters/beacon.py).
    lottery_beacon_url: str = (
        "https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971")  # quicknet
    # Subscribe-message template ids, one per notification kind that uses one.
    wechat_template_application: str = "tmpl-application-update"
    wechat_template_task: str = "tmpl-task-update"
    wechat_template_money: str = "tmpl-money-update"

    # --- Tencent Cloud (SMS, SCF invoke): credentials of the function's execution role, injected by SCF ---
    tencentcloud_secretid: str = "AKIDdev"
    tencentcloud_secretkey: str = "dev-secret-key"
    tencentcloud_sessiontoken: str = "dev-session-token"
    tencent_region: str = "ap-guangzhou"  # where the functions run (SCF Invoke)
    sms_region: str = "ap-guangzhou"  # SMS has its own regions (SMS_REGIONS), independent of the functions'
    sms_endpoint: str = "sms.tencentcloudapi.com"
    sms_protocol: str = "https"
    sms_sdk_app_id: str = "1400000000"
    sms_sign_name: str = "CodeLink"
    sms_template_id: str = "100001"
    scf_endpoint: str = "scf.tencentcloudapi.com"
    scf_protocol: str = "https"
    # The SCF namespace of this stage (serverless.yml `namespace`): the jobs worker is invoked there.
    functions_namespace: str = "default"
    # Version or alias the jobs worker is invoked at. Triggers (timers, Function URLs) run `$DEFAULT` unless told
    # otherwise, while Invoke without a Qualifier runs `$LATEST`: name it, so a kick runs the released code.
    jobs_worker_qualifier: str = "$DEFAULT"
    # How the jobs worker is kicked after a commit: "scf" (async Invoke) or "off" (the sweep timer only).
    jobs_kick: str = "scf"

    # --- WeChat Pay v3 (wechatpayv3) ---
    wechatpay_gateway: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = "1900000001"
    wechatpay_appid: str = "wx-dev-appid"
    wechatpay_cert_serial_no: str = "DEVSERIAL0001"
    wechatpay_private_key: str = ""
    wechatpay_apiv3_key: str = "0123456789abcdef0123456789abcdef"
    # Platform public key mode (both set) and/or platform certificate mode (downloaded from /v3/certificates):
    # notifications are verified by whichever key their Wechatpay-Serial names (shared/adapters/wechatpay.py).
    wechatpay_public_key: str = ""
    wechatpay_public_key_id: str = ""
    # Defaults to <PUBLIC_BASE_URL>/payments/notify (the custom domain); set only to send notifications elsewhere.
    wechatpay_notify_url: str = ""

    # --- COS (boto3, S3 API; the reports layer). Credentials: the execution role's, as above. ---
    cos_endpoint: str = "https://cos.ap-guangzhou.myqcloud.com"
    cos_bucket: str = ""

    # --- Growth reports (shared/reports) ---
    # Where the built report fonts are (`make fonts` → build/fonts; in SCF the reports layer, e.g. /opt/fonts).
    report_font_dir: str | None = Field(
        None, description="directory of the report fonts; unset = /opt/fonts (the reports layer) or build/fonts")
    # Ed25519 key that signs the canonical report data: base64 of the 32-byte private seed (or a PKCS#8 PEM). Only the
    # functions that issue reports get it (least privilege: serverless.yml lists it for them alone); unset, development
    # and tests sign with the development key and production refuses to sign (shared/reports/signing.py).
    report_signing_key: str = ""

    @model_validator(mode="before")
    @classmethod
    def drop_undefined(cls, data: Any) -> Any:
        """An unset `${env:X}` arrives as "undefined": treat it as unset (production refuses it, below)."""
        if isinstance(data, dict):
            undefined = [k for k, v in data.items() if v == UNDEFINED]
            if undefined:
                log.warning("settings %s arrived as %r and were ignored", sorted(undefined), UNDEFINED)
            return {k: v for k, v in data.items() if v != UNDEFINED}
        return data

    @model_validator(mode="after")
    def check_values(self) -> Settings:
        problems = production_problems(self) if self.environment == "production" else general_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # --- derived ---
    @property
    def cors_origins(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip())

    @property
    def notify_url(self) -> str:
        return self.wechatpay_notify_url or self.public_base_url.rstrip("/") + "/payments/notify"

    @property
    def wechatpay_public_key_mode(self) -> bool:
        return bool(self.wechatpay_public_key and self.wechatpay_public_key_id)


# --------------------------------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Rule:
    """What production asks of a setting. `required`: the deployment must provide it (not left at the development
    default); `kind`: secret (min_length) | url (https, not loopback) | endpoint (host[:port], not loopback) |
    https (the protocol) | database (a PostgreSQL URL, not loopback) | plain; `why` for the settings left free."""

    required: bool = False
    kind: str = "plain"
    min_length: int = 0
    why: str = ""


PRODUCTION_RULES: dict[str, Rule] = {
    "environment": Rule(why="it is what selects these rules"),
    "database_url": Rule(required=True, kind="database"),
    "embedded_pg_dir": Rule(why="unused once DATABASE_URL is set, which production requires"),
    "db_pool_size": Rule(why="a tuning number; 2 fits one SCF instance serving one request at a time"),
    "log_level": Rule(why="any level is safe"),
    "log_format": Rule(why="checked against its two values in every environment"),
    "token_secret": Rule(required=True, kind="secret", min_length=32),
    "access_token_ttl_seconds": Rule(why="business tuning, no secret"),
    "refresh_token_ttl_seconds": Rule(why="business tuning, no secret"),
    "public_base_url": Rule(required=True, kind="url"),
    "cors_allowed_origins": Rule(kind="url", why="may be empty (no browser client); each origin must be https"),
    "wechat_appid": Rule(required=True),
    "wechat_secret": Rule(required=True, kind="secret", min_length=32),
    "wechat_api_base": Rule(kind="url"),
    "lottery_beacon_url": Rule(kind="url", why="drand quicknet by default; locally the fake beacon on loopback"),
    "wechat_template_application": Rule(required=True),
    "wechat_template_task": Rule(required=True),
    "wechat_template_money": Rule(required=True),
    "tencentcloud_secretid": Rule(required=True),
    "tencentcloud_secretkey": Rule(required=True, kind="secret", min_length=16),
    "tencentcloud_sessiontoken": Rule(required=True, kind="secret", min_length=16),
    "tencent_region": Rule(why="the default region is a real one; serverless.yml sets the same variable"),
    "sms_region": Rule(why="checked against SMS_REGIONS in every environment"),
    "sms_endpoint": Rule(kind="endpoint"),
    "sms_protocol": Rule(kind="https"),
    "sms_sdk_app_id": Rule(required=True),
    "sms_sign_name": Rule(required=True),
    "sms_template_id": Rule(required=True),
    "scf_endpoint": Rule(kind="endpoint"),
    "scf_protocol": Rule(kind="https"),
    "functions_namespace": Rule(required=True),
    "jobs_worker_qualifier": Rule(why="$DEFAULT is right unless versions are published under another alias"),
    "jobs_kick": Rule(why="checked against its two values in every environment"),
    "wechatpay_gateway": Rule(kind="url"),
    "wechatpay_mchid": Rule(required=True),
    "wechatpay_appid": Rule(required=True),
    "wechatpay_cert_serial_no": Rule(required=True),
    "wechatpay_private_key": Rule(required=True, kind="secret", min_length=1000),
    "wechatpay_apiv3_key": Rule(required=True, kind="secret", min_length=32),
    "wechatpay_public_key": Rule(why="optional: certificate mode needs no public key (checked as a pair)"),
    "wechatpay_public_key_id": Rule(why="optional, as wechatpay_public_key"),
    "wechatpay_notify_url": Rule(kind="url", why="may be empty (derived from PUBLIC_BASE_URL)"),
    "cos_endpoint": Rule(kind="url"),
    "cos_bucket": Rule(why="no function uses COS yet; the reports feature will make it required"),
    "report_font_dir": Rule(why="unset means /opt/fonts, where the reports layer mounts them"),
    "report_signing_key": Rule(kind="secret", min_length=44,
                               why="only the report functions get it; signing refuses to run without it in production"),
}

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _url_problem(name: str, value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme != "https":
        return f"{name.upper()} must be an https URL, got {value!r}"
    if not parts.hostname or is_loopback_host(parts.hostname):
        return f"{name.upper()} must not point at a loopback address, got {value!r}"
    return None


def _value_problem(name: str, rule: Rule, value: Any) -> str | None:
    text = "" if value is None else str(value)
    env = name.upper()
    if rule.kind == "secret" and text and len(text) < rule.min_length:
        return f"{env} must be at least {rule.min_length} characters in production"
    if rule.kind == "url" and text:
        for item in (text.split(",") if name == "cors_allowed_origins" else [text]):
            problem = _url_problem(name, item.strip())
            if problem:
                return problem
    if rule.kind == "endpoint" and is_loopback_host(urlsplit("//" + text).hostname or ""):
        return f"{env} must not point at a loopback address, got {text!r}"
    if rule.kind == "https" and text != "https":
        return f"{env} must be https in production, got {text!r}"
    if rule.kind == "database" and text:
        parts = urlsplit(text)
        if not parts.scheme.startswith("postgres"):
            return f"{env} must be a postgresql:// URL"
        if not parts.hostname or is_loopback_host(parts.hostname):
            return f"{env} must not point at a loopback address (TencentDB is reached in the VPC)"
    return None


def general_problems(settings: Settings) -> list[str]:
    """Checks that hold in every environment."""
    problems = []
    if settings.sms_region not in SMS_REGIONS:
        problems.append(f"SMS_REGION must be one of {', '.join(SMS_REGIONS)}, got {settings.sms_region!r}")
    if settings.log_format not in ("json", "text"):
        problems.append(f"LOG_FORMAT must be 'json' or 'text', got {settings.log_format!r}")
    if settings.jobs_kick not in ("scf", "off"):
        problems.append(f"JOBS_KICK must be 'scf' or 'off', got {settings.jobs_kick!r}")
    if bool(settings.wechatpay_public_key) != bool(settings.wechatpay_public_key_id):
        problems.append("WECHATPAY_PUBLIC_KEY and WECHATPAY_PUBLIC_KEY_ID are set together or not at all")
    if settings.environment == "production" and settings.report_signing_key == DEV_REPORT_SIGNING_KEY:
        problems.append("REPORT_SIGNING_KEY is the development key; set the deployment's own Ed25519 key")
    if len(settings.wechatpay_apiv3_key.encode()) != 32:
        problems.append("WECHATPAY_APIV3_KEY must be 32 bytes")
    return problems


def production_problems(settings: Settings) -> list[str]:
    """Every reason this configuration must not run in production (empty: it may)."""
    problems = general_problems(settings)
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    for name, rule in PRODUCTION_RULES.items():
        value = getattr(settings, name)
        env = name.upper()
        if rule.required and (name not in settings.model_fields_set or value in (None, "")):
            problems.append(f"{env} must be set in production")
            continue
        if rule.required and value == defaults[name]:
            problems.append(f"{env} is the development default; set the production value")
            continue
        problem = _value_problem(name, rule, value)
        if problem:
            problems.append(problem)
    undefined = sorted(k for k, v in os.environ.items() if v == UNDEFINED)
    if undefined:
        problems.append(f"{', '.join(undefined)} arrived as 'undefined': the deploying shell did not export them"
                        " (export an empty value to keep a default)")
    leaked = [k for k in DEPLOYER_VARIABLES if os.environ.get(k)]
    if leaked:
        problems.append(f"{', '.join(leaked)} (the deployer's own credentials) must not reach a function: the"
                        " execution role provides TENCENTCLOUD_SECRETID/_SECRETKEY/_SESSIONTOKEN")
    return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
