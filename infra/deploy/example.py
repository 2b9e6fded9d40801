"""Realistic production values for every variable serverless.yml names, for the offline checks: the 4 KB
environment limit is measured with values as long as the real ones (a 2048-bit merchant key in one line, a
platform public key, 43-character template ids, a TencentDB URL with a 32-character password), and Settings is
validated in production mode with them. Generated fresh each time; nothing here is a real credential.
"""

from __future__ import annotations

import secrets
import string


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def _template_id() -> str:
    # Subscribe-message template ids are 43 characters of base64url, e.g. "6tWUDH-SX9_b3uXdMbQGcPZBx2mkBAGqE7J4pqHy1Bo".
    return secrets.token_urlsafe(32)[:43]


def rsa_pems() -> tuple[str, str]:
    """(PKCS#8 private key, SubjectPublicKeyInfo public key), 2048-bit, as WeChat Pay's files hold them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return private, public


def one_line(pem: str) -> str:
    r"""A PEM as one environment line: newlines written as "\n" (the adapter turns them back)."""
    return pem.strip().replace("\n", "\\n")


def production_environment() -> dict[str, str]:
    """The deploying shell's exports for a production stage (what `${env:X}` resolves to)."""
    merchant_private, _ = rsa_pems()
    _, platform_public = rsa_pems()
    appid = "wx" + secrets.token_hex(8)
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": (f"postgresql://codelink_app:{secrets.token_urlsafe(24)}@10.0.8.17:5432/codelink"
                         "?sslmode=require&connect_timeout=5"),
        "TOKEN_SECRET": secrets.token_hex(32),
        "PUBLIC_BASE_URL": "https://api.codelink-tech.cn",
        "CORS_ALLOWED_ORIGINS": "https://admin.codelink-tech.cn",
        "WECHAT_APPID": appid,
        "WECHAT_SECRET": secrets.token_hex(16),
        "WECHAT_TEMPLATE_APPLICATION": _template_id(),
        "WECHAT_TEMPLATE_TASK": _template_id(),
        "WECHAT_TEMPLATE_MONEY": _template_id(),
        "TENCENT_REGION": "ap-shanghai",
        "SMS_REGION": "ap-guangzhou",
        "SMS_SDK_APP_ID": "1400" + _digits(6),
        "SMS_SIGN_NAME": "码联科技",
        "SMS_TEMPLATE_ID": _digits(7),
        "FUNCTIONS_NAMESPACE": "codelink-prod",
        "WECHATPAY_MCHID": "16" + _digits(8),
        "WECHATPAY_APPID": appid,
        "WECHATPAY_CERT_SERIAL_NO": secrets.token_hex(20).upper(),
        "WECHATPAY_PRIVATE_KEY": one_line(merchant_private),
        "WECHATPAY_APIV3_KEY": secrets.token_urlsafe(24)[:32],
        "WECHATPAY_PUBLIC_KEY": one_line(platform_public),
        "WECHATPAY_PUBLIC_KEY_ID": "PUB_KEY_ID_01" + _digits(26),
        "COS_ENDPOINT": "https://cos.ap-shanghai.myqcloud.com",
        "COS_BUCKET": "codelink-prod-125" + _digits(7),
        **report_keys(),
    }


def report_keys() -> dict[str, str]:
    """REPORT_SIGNING_KEY (base64 of a fresh Ed25519 seed) and REPORT_PUBLIC_KEYS (its raw public key, base64)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = secrets.token_bytes(32)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"REPORT_SIGNING_KEY": base64.b64encode(seed).decode(),
            "REPORT_PUBLIC_KEYS": base64.b64encode(public).decode()}


def role_environment() -> dict[str, str]:
    """What SCF injects from the execution role (not part of the 4 KB: SCF's own variables)."""
    return {
        "TENCENTCLOUD_SECRETID": "AKID" + secrets.token_urlsafe(24)[:32],
        "TENCENTCLOUD_SECRETKEY": secrets.token_urlsafe(24)[:32],
        "TENCENTCLOUD_SESSIONTOKEN": secrets.token_urlsafe(400),
    }
