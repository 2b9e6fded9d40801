"""Settings from the environment (pydantic-settings).

Everything an operator sets per deployment lives here; business rules that operators tune at run time (caps,
windows, commission tiers) live in the `config_values` table instead (see `shared/rules_config.py`), so they change
without a deploy.

The defaults point at production endpoints; `make dev` and the tests override the base URLs with the loopback fakes
in `infra/fakes/`.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_TOKEN_SECRET = "dev-only-token-secret-change-me"
# Ed25519 private key (base64 of the 32-byte seed) that signs growth reports in development and tests only.
_DEV_REPORT_SIGNING_KEY = "YE8iEBfxsWHrUOg4BfZVcEqdrrnfCWBGquoUpb8fKZ4="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # --- runtime ---
    environment: str = Field("local", description="local | test | production")
    database_url: str | None = Field(None, description="PostgreSQL URL; unset = embedded pgserver")
    embedded_pg_dir: str = Field(".data/pg", description="data directory of the embedded PostgreSQL")
    db_pool_size: int = 2
    # Token signing: HMAC-SHA256. In production this comes from the SCF environment (encrypted variable).
    token_secret: str = _DEV_TOKEN_SECRET
    access_token_ttl_seconds: int = 2 * 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    public_base_url: str = "http://127.0.0.1:9000"

    # --- WeChat mini-program (wechatpy) ---
    wechat_appid: str = "wx-dev-appid"
    wechat_secret: str = "dev-secret"
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Subscribe-message template ids, one per notification kind that uses one.
    wechat_template_application: str = "tmpl-application-update"
    wechat_template_task: str = "tmpl-task-update"
    wechat_template_money: str = "tmpl-money-update"

    # --- Tencent Cloud (SMS, SCF invoke) ---
    tencent_secret_id: str = "AKIDdev"
    tencent_secret_key: str = "dev-secret-key"
    tencent_region: str = "ap-guangzhou"
    sms_endpoint: str = "sms.tencentcloudapi.com"
    sms_protocol: str = "https"
    sms_sdk_app_id: str = "1400000000"
    sms_sign_name: str = "CodeLink"
    sms_template_id: str = "100001"
    scf_endpoint: str = "scf.tencentcloudapi.com"
    scf_protocol: str = "https"
    scf_namespace: str = "default"
    # How the jobs worker is kicked after a commit: "scf" (async Invoke) or "off" (the sweep timer only).
    jobs_kick: str = "scf"

    # --- WeChat Pay v3 (wechatpayv3) ---
    wechatpay_gateway: str = "https://api.mch.weixin.qq.com"
    wechatpay_mchid: str = "1900000001"
    wechatpay_appid: str = "wx-dev-appid"
    wechatpay_cert_serial_no: str = "DEVSERIAL0001"
    wechatpay_private_key: str = ""
    wechatpay_apiv3_key: str = "0123456789abcdef0123456789abcdef"
    wechatpay_public_key: str = ""
    wechatpay_public_key_id: str = ""
    wechatpay_notify_url: str = "http://127.0.0.1:9000/payments/notify"

    # --- COS (boto3, S3 API) ---
    cos_endpoint: str = "https://cos.ap-guangzhou.myqcloud.com"
    cos_bucket: str = "codelink-1250000000"
    cos_secret_id: str = "AKIDdev"
    cos_secret_key: str = "dev-secret-key"

    # --- Growth reports (shared/reports) ---
    # Where the built report fonts are (`make fonts` → build/fonts; in SCF the reports layer, e.g. /opt/fonts).
    report_font_dir: str | None = Field(None, description="directory of the report fonts; unset = build/fonts")
    # Ed25519 key that signs the canonical report data: base64 of the 32-byte private seed (or a PKCS#8 PEM).
    report_signing_key: str = _DEV_REPORT_SIGNING_KEY

    @model_validator(mode="after")
    def check_production_secrets(self) -> Settings:
        """The development defaults above must never reach production."""
        if self.environment == "production":
            if self.token_secret == _DEV_TOKEN_SECRET or len(self.token_secret) < 32:
                raise ValueError("TOKEN_SECRET must be set to a random value of 32+ characters in production")
            if self.database_url is None:
                raise ValueError("DATABASE_URL must be set in production")
            if self.report_signing_key == _DEV_REPORT_SIGNING_KEY:
                raise ValueError("REPORT_SIGNING_KEY must be set to the deployment's own Ed25519 key in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
