"""Fake WeChat Pay API v3 (api.mch.weixin.qq.com, merchant side) for tests and local runs.

wechatpayv3 talks to it unchanged once its gateway (`Core._gate_way`) points here. Like the real service
it checks the merchant's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,
timestamp=..,serial_no=..` (RSA-SHA256 over "METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n", merchant public
key, 5-minute clock window) and signs every API answer with its own platform key (Wechatpay-Timestamp/
-Nonce/-Signature/-Serial/-Signature-Type). It runs in "platform public key" mode by default
(Wechatpay-Serial = the public key id, so the client needs no certificate download); `signing="certificate"`
signs with the key of a self-signed platform certificate instead — another key pair, as WeChat's certificates and
its platform public key are — served at /v3/certificates (encrypted with the APIv3 key, as WeChat does). `signing`
may be changed at any time: a merchant migrating between the modes receives notifications signed either way.

Served (paths and JSON fields as in v3 and in wechatpayv3's requests):
  POST /v3/pay/transactions/jsapi                         -> {prepay_id}; same out_trade_no + same parameters
                                                             answers the same prepay_id, different parameters
                                                             403 OUT_TRADE_NO_USED, bad fields 400 PARAM_ERROR
  GET  /v3/pay/transactions/out-trade-no/{no}?mchid=      (and /id/{transaction_id}) -> the transaction
  POST /v3/pay/transactions/out-trade-no/{no}/close       -> 204
  POST /v3/refund/domestic/refunds                        -> refund, status PROCESSING, then SUCCESS by itself
                                                             after `refund_delay` seconds (or on the control)
  GET  /v3/refund/domestic/refunds/{out_refund_no}
  POST /v3/fund-app/mch-transfer/transfer-bills           -> {state: WAIT_USER_CONFIRM, package_info, ...};
                                                             user_name (RSA-OAEP with the platform public key)
                                                             required from 200000 fen (¥2,000)
  GET  /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}
  POST /v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}/cancel
  GET  /v3/bill/tradebill?bill_date=&bill_type=&tar_type= -> {hash_type: SHA1, hash_value, download_url}
  GET  /v3/bill/fundflowbill?bill_date=&account_type=&tar_type= -> the same, for the fund-flow bill (资金账单) of the
                                                             basic account: income per payment, the fee deducted,
                                                             refunds and merchant transfers paid out
  GET  /v3/billdownload/file?token=                       -> the bill CSV (gzip if asked); not signed, like
                                                             WeChat: the client checks the hash instead
  Bills of day D answer 400 STATEMENT_CREATING until `bills_ready_hour` on D+1 (Beijing time, business clock) when
  that is set, and 400 NO_STATEMENT_EXIST for a day without a record.
  GET  /v3/certificates

Notifications (TRANSACTION.SUCCESS, REFUND.SUCCESS|ABNORMAL|CLOSED, MCHTRANSFER.BILL.FINISHED) are POSTed to
the notify_url of the order / refund / transfer: JSON {id, create_time, event_type, resource_type:
encrypt-resource, summary, resource{algorithm: AEAD_AES_256_GCM, ciphertext, associated_data, nonce,
original_type}}, encrypted with the APIv3 key and signed. Only a 2xx answer acknowledges one; otherwise it
is sent again after each delay of `retry_schedule` (seconds; WeChat's own schedule by default), freshly
signed each time, same id and body.

Controls (what the payer / WeChat do outside the merchant API):
  POST /_fake/wechatpay/pay                               {out_trade_no, success_time?} the user pays
  POST /_fake/wechatpay/transfers/{out_bill_no}/confirm   the user confirms the transfer -> SUCCESS
  POST /_fake/wechatpay/transfers/{out_bill_no}/fail      {fail_reason?} -> FAIL
  POST /_fake/wechatpay/refunds/{out_refund_no}/complete  {status?: SUCCESS|ABNORMAL|CLOSED}
  (Python only) `handle_abnormal_refund(no)`               the merchant completes an ABNORMAL refund by hand in the
                                                          merchant platform: SUCCESS, no notification
  GET  /_fake/wechatpay/notifications                     sent notifications with their delivery attempts
  POST /_fake/wechatpay/notifications/{id}/resend         deliver a notification once more (a duplicate)
and the same as Python methods (`pay`, `confirm_transfer`, `fail_transfer`, `complete_refund`,
`notifications`, `resend_notification`, `order`, `refund`, `transfer`, `trade_bill_csv`, `sign`).
Control errors: 404 unknown number, 409 wrong state.

Keys: `generate_keys()` makes a merchant and a platform RSA key pair; `WeChatPayTestKeys.save(dir)` /
`.load(dir)` / `load_or_generate_keys(dir)` keep them across `make dev` runs (under .data/).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlencode

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from infra.fakes.base import FakeRequest, FakeResponse, FakeServer

log = logging.getLogger("codelink.fakes.wechatpay")

BEIJING = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CLOCK_SKEW_SECONDS = 5 * 60
# WeChat's retry schedule for payment notifications (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h).
PAYMENT_RETRY_SCHEDULE: tuple[float, ...] = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
)
REAL_NAME_THRESHOLD_FEN = 200_000  # ¥2,000: a transfer from this amount must carry the payee's real name
# Report fields WeChat requires per transfer scene (1000 现金营销, 1005 佣金报酬); others are not checked.
SCENE_REPORT_TYPES: Mapping[str, tuple[str, ...]] = {
    "1000": ("活动名称", "奖励说明"),
    "1005": ("岗位类型", "报酬说明"),
}
OUT_TRADE_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
OUT_REFUND_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
OUT_BILL_NO_RE = re.compile(r"^[0-9A-Za-z]{5,32}$")
TRADE_BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
TRADE_BILL_SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
FUND_FLOW_HEADER = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,"
    "资金变更提交申请人,备注,业务凭证号"
)
FUND_FLOW_SUMMARY_HEADER = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
TRADE_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "订单发生过退款",
}
REFUND_EVENTS = {
    "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
    "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
    "CLOSED": ("REFUND.CLOSED", "退款关闭"),
}


# --------------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class WeChatPayTestKeys:
    """A merchant key pair (the merchant signs with the private key; the fake checks with the public one)
    and a platform key pair (the fake signs; the merchant verifies with `platform_public_pem` + its id)."""

    merchant_private_pem: str
    merchant_public_pem: str
    platform_private_pem: str
    platform_public_pem: str
    platform_public_key_id: str
    merchant_serial: str

    # File names of a key directory; apiclient_key.pem and pub_key.pem are the names WeChat Pay gives them.
    _FILES: ClassVar[dict[str, str]] = {
        "merchant_private_pem": "apiclient_key.pem",
        "merchant_public_pem": "apiclient_public.pem",
        "platform_private_pem": "platform_private_key.pem",
        "platform_public_pem": "pub_key.pem",
    }

    def save(self, directory: str | os.PathLike[str]) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for attr, name in self._FILES.items():
            target = path / name
            target.write_text(getattr(self, attr), encoding="ascii")
            if "private" in attr:
                target.chmod(0o600)
        meta = {"platform_public_key_id": self.platform_public_key_id,
                "merchant_serial": self.merchant_serial}
        (path / "keys.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> WeChatPayTestKeys:
        path = Path(directory)
        meta = json.loads((path / "keys.json").read_text(encoding="utf-8"))
        pems = {attr: (path / name).read_text(encoding="ascii") for attr, name in cls._FILES.items()}
        return cls(**pems, platform_public_key_id=meta["platform_public_key_id"],
                   merchant_serial=meta["merchant_serial"])

    def settings_env(self) -> dict[str, str]:
        """The merchant-side settings (environment variables of shared/config.py) for these keys."""
        return {
            "WECHATPAY_PRIVATE_KEY": self.merchant_private_pem,
            "WECHATPAY_CERT_SERIAL_NO": self.merchant_serial,
            "WECHATPAY_PUBLIC_KEY": self.platform_public_pem,
            "WECHATPAY_PUBLIC_KEY_ID": self.platform_public_key_id,
        }


def _new_rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return private_pem, public_pem


def _rsa_private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("WeChat Pay keys are RSA keys")
    return key


def _rsa_public(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay keys are RSA keys")
    return key


def generate_keys() -> WeChatPayTestKeys:
    merchant_private, merchant_public = _new_rsa_pair()
    platform_private, platform_public = _new_rsa_pair()
    return WeChatPayTestKeys(
        merchant_private_pem=merchant_private,
        merchant_public_pem=merchant_public,
        platform_private_pem=platform_private,
        platform_public_pem=platform_public,
        # Real ids look like PUB_KEY_ID_0114232134912410000000000000; serials are 40 hex digits.
        platform_public_key_id="PUB_KEY_ID_" + _digits(28),
        merchant_serial=secrets.token_hex(20).upper(),
    )


def load_or_generate_keys(directory: str | os.PathLike[str]) -> WeChatPayTestKeys:
    """Keys kept in `directory` (made and saved on first use), so local data survives restarts."""
    if (Path(directory) / "keys.json").exists():
        return WeChatPayTestKeys.load(directory)
    keys = generate_keys()
    keys.save(directory)
    return keys


# --------------------------------------------------------------------------------------------------- helpers


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def _nonce(n: int = 32) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def _yuan(fen: int, places: int = 2) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal(1).scaleb(-places)))


def _error(status: int, code: str, message: str, detail: dict | None = None) -> FakeResponse:
    payload: dict[str, Any] = {"code": code, "message": message}
    if detail:
        payload["detail"] = detail
    return FakeResponse.json(payload, status)


def _param_error(field_path: str, issue: str, value: Any = None) -> FakeResponse:
    detail = {"field": field_path, "value": value, "issue": issue, "location": "body"}
    return _error(400, "PARAM_ERROR", f"参数错误: {field_path} {issue}", detail)


def _is_fen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class FakeStateError(Exception):
    """A control that cannot apply: `status` 404 (unknown number) or 409 (wrong state)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Order:
    appid: str
    mchid: str
    out_trade_no: str
    description: str
    total: int
    openid: str
    notify_url: str
    attach: str | None
    time_expire: str | None
    prepay_id: str
    created_at: datetime
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None

    def fingerprint(self) -> tuple:
        return (self.appid, self.description, self.total, self.openid, self.attach, self.time_expire)


@dataclass
class _Refund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    reason: str | None
    notify_url: str | None
    created_at: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None


@dataclass
class _Transfer:
    appid: str
    out_bill_no: str
    transfer_bill_no: str
    transfer_scene_id: str
    openid: str
    amount: int
    remark: str
    user_name: str | None  # decrypted, for tests to inspect
    notify_url: str | None
    package_info: str
    created_at: datetime
    state: str = "WAIT_USER_CONFIRM"
    fail_reason: str | None = None
    updated_at: datetime | None = None

    def fingerprint(self) -> tuple:
        return (self.appid, self.openid, self.amount, self.remark, self.transfer_scene_id)


@dataclass
class _Notification:
    id: str
    event_type: str
    url: str
    body: bytes
    resource: dict  # the plaintext, for inspection
    created_at: datetime
    attempts: list[dict] = field(default_factory=list)
    failures: int = 0
    delivered: bool = False
    gave_up: bool = False

    def snapshot(self) -> dict:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "url": self.url,
            "create_time": _rfc3339(self.created_at),
            "resource": self.resource,
            "delivered": self.delivered,
            "gave_up": self.gave_up,
            "attempts": [dict(a) for a in self.attempts],
        }


# --------------------------------------------------------------------------------------------------- fake


class FakeWeChatPay(FakeServer):
    name = "wechatpay"

    def __init__(
        self,
        keys: WeChatPayTestKeys,
        *,
        mchid: str = "1900000001",
        appid: str = "wx-dev-appid",
        apiv3_key: str = "0123456789abcdef0123456789abcdef",
        retry_schedule: Sequence[float] = PAYMENT_RETRY_SCHEDULE,
        refund_delay: float | None = 1.0,
        signing: str = "public_key",
        notify_timeout: float = 5.0,
        fee_rate: Decimal = Decimal("0.006"),
        bills_ready_hour: int | None = None,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        if signing not in ("public_key", "certificate"):
            raise ValueError("signing must be 'public_key' or 'certificate'")
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self.keys = keys
        self.mchid = mchid
        self.appid = appid
        self.apiv3_key = apiv3_key
        self.retry_schedule = list(retry_schedule)
        self.refund_delay = refund_delay  # None: refunds stay PROCESSING until `complete_refund`
        self.signing = signing
        self.notify_timeout = notify_timeout
        self.fee_rate = fee_rate
        # The bills of day D exist from this hour of D+1 (Beijing); before, STATEMENT_CREATING. None: at once.
        self.bills_ready_hour = bills_ready_hour
        # Business times (payment, refund, transfer) come from `clock`, so a test can place trades on a bill
        # date; signatures keep the real time, since real clients check it.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(BEIJING))
        self._platform_key = _rsa_private(keys.platform_private_pem)
        self._merchant_public_key = _rsa_public(keys.merchant_public_pem)
        # Certificate mode signs with the certificate's own key, never with the platform public key's.
        self._certificate_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate_serial, self.platform_certificate_pem = self._make_certificate()
        self.certificate_downloads = 0
        # Loopback deliveries never go through an HTTP proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._orders: dict[str, _Order] = {}
        self._refunds: dict[str, _Refund] = {}
        self._transfers: dict[str, _Transfer] = {}
        self._notifications: dict[str, _Notification] = {}
        self._bill_files: dict[str, tuple[bytes, float]] = {}
        self._timers: set[threading.Timer] = set()
        self._stopped = False

    # --- lifecycle ---
    def start(self) -> str:
        with self.lock:
            self._stopped = False
        return super().start()

    def stop(self) -> None:
        with self.lock:
            self._stopped = True
            timers = list(self._timers)
            self._timers.clear()
        for timer in timers:
            timer.cancel()
        super().stop()

    def settings_env(self) -> dict[str, str]:
        """Environment for shared/config.py that points the merchant side at this fake."""
        return {
            **self.keys.settings_env(),
            "WECHATPAY_GATEWAY": self.base_url,
            "WECHATPAY_MCHID": self.mchid,
            "WECHATPAY_APPID": self.appid,
            "WECHATPAY_APIV3_KEY": self.apiv3_key,
        }

    @property
    def platform_serial(self) -> str:
        """What goes in Wechatpay-Serial of answers and notifications."""
        return self.keys.platform_public_key_id if self.signing == "public_key" else self.certificate_serial

    # --- signing / encryption (WeChat's side) ---
    def sign(self, body: bytes, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
        """Wechatpay-* headers for `body`, signed with the platform key (tests use it to build messages)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or _nonce()
        message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
        key = self._platform_key if self.signing == "public_key" else self._certificate_key
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode("ascii"),
            "Wechatpay-Serial": self.platform_serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def encrypt_resource(self, plaintext: bytes, associated_data: str) -> tuple[str, str]:
        """AEAD_AES_256_GCM with the APIv3 key -> (nonce, base64 ciphertext+tag)."""
        nonce = _nonce(12)
        sealed = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), plaintext, associated_data.encode())
        return nonce, base64.b64encode(sealed).decode("ascii")

    def _make_certificate(self) -> tuple[str, str]:
        serial = x509.random_serial_number()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (fake)")])
        now = datetime.now(timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._certificate_key.public_key())
            .serial_number(serial)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=5 * 365))
            .sign(self._certificate_key, hashes.SHA256())
        )
        # wechatpayv3 compares int(serial_hex, 16) with the certificate's serial number.
        return format(serial, "X"), cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def _signed(self, response: FakeResponse) -> FakeResponse:
        response.headers.update(self.sign(response.body))
        response.headers["Request-ID"] = uuid.uuid4().hex
        return response

    def _check_merchant_signature(self, request: FakeRequest) -> str | None:
        """None if the request carries a valid merchant signature, else why not."""
        scheme, _, params = request.headers.get("authorization", "").partition(" ")
        if scheme != SIGNATURE_TYPE:
            return "Authorization 缺失或签名算法不支持"
        auth = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if not all(auth.get(k) for k in ("mchid", "serial_no", "signature", "timestamp", "nonce_str")):
            return "Authorization 字段不完整"
        if auth["mchid"] != self.mchid:
            return "商户号与签名不匹配"
        if auth["serial_no"] != self.keys.merchant_serial:
            return "商户证书序列号错误"
        try:
            timestamp = int(auth["timestamp"])
        except ValueError:
            return "时间戳格式错误"
        if abs(time.time() - timestamp) > CLOCK_SKEW_SECONDS:
            return "时间戳与当前时间相差过大"
        # The base server hands us path + parsed query; wechatpayv3 signs "path?query" as it sent it, and its
        # query values (dates, numbers, url-safe tokens) survive the parse/encode round trip unchanged.
        url = request.path + ("?" + urlencode(request.query) if request.query else "")
        signed_head = f"{request.method}\n{url}\n{auth['timestamp']}\n{auth['nonce_str']}\n"
        message = signed_head.encode() + request.body + b"\n"
        try:
            signature = base64.b64decode(auth["signature"], validate=True)
            self._merchant_public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "签名错误"
        return None

    # --- HTTP ---
    _API_ROUTES: Sequence[tuple[str, re.Pattern[str], str]] = (
        ("POST", re.compile(r"^/v3/pay/transactions/jsapi$"), "_api_create_jsapi"),
        ("GET", re.compile(r"^/v3/pay/transactions/out-trade-no/(?P<out_trade_no>[^/]+)$"),
         "_api_query_order"),
        ("GET", re.compile(r"^/v3/pay/transactions/id/(?P<transaction_id>[^/]+)$"), "_api_query_order"),
        ("POST", re.compile(r"^/v3/pay/transactions/out-trade-no/(?P<out_trade_no>[^/]+)/close$"),
         "_api_close_order"),
        ("POST", re.compile(r"^/v3/refund/domestic/refunds$"), "_api_create_refund"),
        ("GET", re.compile(r"^/v3/refund/domestic/refunds/(?P<out_refund_no>[^/]+)$"), "_api_query_refund"),
        ("POST", re.compile(r"^/v3/fund-app/mch-transfer/transfer-bills$"), "_api_create_transfer"),
        ("GET", re.compile(r"^/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/(?P<out_bill_no>[^/]+)$"),
         "_api_query_transfer"),
        ("POST",
         re.compile(r"^/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/(?P<out_bill_no>[^/]+)/cancel$"),
         "_api_cancel_transfer"),
        ("GET", re.compile(r"^/v3/bill/tradebill$"), "_api_trade_bill"),
        ("GET", re.compile(r"^/v3/bill/fundflowbill$"), "_api_fund_flow_bill"),
        ("GET", re.compile(r"^/v3/billdownload/file$"), "_api_download_bill"),
        ("GET", re.compile(r"^/v3/certificates$"), "_api_certificates"),
    )
    _CONTROL_ROUTES: Sequence[tuple[str, re.Pattern[str], str]] = (
        ("POST", re.compile(r"^/_fake/wechatpay/pay$"), "_ctl_pay"),
        ("POST", re.compile(r"^/_fake/wechatpay/transfers/(?P<out_bill_no>[^/]+)/confirm$"), "_ctl_confirm"),
        ("POST", re.compile(r"^/_fake/wechatpay/transfers/(?P<out_bill_no>[^/]+)/fail$"), "_ctl_fail"),
        ("POST", re.compile(r"^/_fake/wechatpay/refunds/(?P<out_refund_no>[^/]+)/complete$"), "_ctl_refund"),
        ("GET", re.compile(r"^/_fake/wechatpay/notifications$"), "_ctl_notifications"),
        ("POST", re.compile(r"^/_fake/wechatpay/notifications/(?P<notification_id>[^/]+)/resend$"),
         "_ctl_resend"),
    )

    @staticmethod
    def _route(
        routes: Sequence[tuple[str, re.Pattern[str], str]], request: FakeRequest
    ) -> tuple[str, dict] | None:
        for method, pattern, handler in routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.startswith("/_fake/wechatpay/"):
            return self._handle_control(request)
        problem = self._check_merchant_signature(request)
        if problem is not None:
            return self._signed(_error(401, "SIGN_ERROR", problem))
        routed = self._route(self._API_ROUTES, request)
        if routed is None:
            return self._signed(_error(404, "NOT_FOUND", "请求的资源不存在"))
        handler, params = routed
        response = getattr(self, handler)(request, **params)
        # The bill download is a raw file stream that WeChat does not sign; every other answer is signed.
        return response if handler == "_api_download_bill" else self._signed(response)

    def _handle_control(self, request: FakeRequest) -> FakeResponse:
        routed = self._route(self._CONTROL_ROUTES, request)
        if routed is None:
            return FakeResponse.json({"code": "NOT_FOUND", "message": "unknown control"}, 404)
        handler, params = routed
        try:
            body = request.json() if request.body else {}
            return FakeResponse.json(getattr(self, handler)(body, **params))
        except FakeStateError as exc:
            code = "NOT_FOUND" if exc.status == 404 else "INVALID_STATE"
            return FakeResponse.json({"code": code, "message": exc.message}, exc.status)
        except (ValueError, KeyError, TypeError) as exc:
            return FakeResponse.json({"code": "BAD_REQUEST", "message": str(exc)}, 400)

    # --- API: JSAPI orders ---
    def _api_create_jsapi(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "PARAM_ERROR", "请求体不是合法的JSON")
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url"):
            if not isinstance(body.get(name), str) or not body[name]:
                return _param_error(f"/{name}", "必填字段缺失")
        if body["mchid"] != self.mchid:
            return _error(400, "MCH_NOT_EXISTS", "商户号不存在")
        if body["appid"] != self.appid:
            return _error(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
        if not OUT_TRADE_NO_RE.match(body["out_trade_no"]):
            return _param_error("/out_trade_no", "只能是6-32位数字、大小写字母_-|*", body["out_trade_no"])
        amount = body.get("amount")
        if not isinstance(amount, dict) or not _is_fen(amount.get("total")):
            return _param_error("/amount/total", "必须是大于0的整数(分)", amount)
        if amount.get("currency", "CNY") != "CNY":
            return _param_error("/amount/currency", "只支持CNY", amount.get("currency"))
        payer = body.get("payer")
        if not isinstance(payer, dict) or not payer.get("openid"):
            return _param_error("/payer/openid", "必填字段缺失")
        now = self.clock()
        order = _Order(
            appid=body["appid"], mchid=body["mchid"], out_trade_no=body["out_trade_no"],
            description=body["description"], total=amount["total"], openid=payer["openid"],
            notify_url=body["notify_url"], attach=body.get("attach"), time_expire=body.get("time_expire"),
            prepay_id="wx" + now.astimezone(BEIJING).strftime("%d%H%M%S") + secrets.token_hex(13),
            created_at=now,
        )
        with self.lock:
            existing = self._orders.get(order.out_trade_no)
            if existing is not None:
                if existing.fingerprint() != order.fingerprint():
                    return _error(403, "OUT_TRADE_NO_USED", "商户订单号重复")
                if existing.trade_state in ("SUCCESS", "REFUND"):
                    return _error(400, "ORDERPAID", "该订单已支付")
                if existing.trade_state == "CLOSED":
                    return _error(400, "ORDER_CLOSED", "订单已关闭")
                return FakeResponse.json({"prepay_id": existing.prepay_id})
            self._orders[order.out_trade_no] = order
        return FakeResponse.json({"prepay_id": order.prepay_id})

    def _find_order(self, out_trade_no: str | None, transaction_id: str | None) -> _Order | None:
        if out_trade_no is not None:
            return self._orders.get(out_trade_no)
        return next((o for o in self._orders.values() if o.transaction_id == transaction_id), None)

    def _api_query_order(
        self, request: FakeRequest, out_trade_no: str | None = None, transaction_id: str | None = None
    ) -> FakeResponse:
        if request.query.get("mchid") != self.mchid:
            return _param_error("mchid", "商户号缺失或不匹配", request.query.get("mchid"))
        with self.lock:
            order = self._find_order(out_trade_no, transaction_id)
            if order is None:
                return _error(404, "ORDER_NOT_EXIST", "订单不存在")
            return FakeResponse.json(self._order_json(order))

    def _order_json(self, order: _Order) -> dict:
        payload: dict[str, Any] = {
            "appid": order.appid,
            "mchid": order.mchid,
            "out_trade_no": order.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": order.trade_state,
            "trade_state_desc": TRADE_STATE_DESC[order.trade_state],
            "attach": order.attach or "",
            "payer": {"openid": order.openid},
            "amount": {"total": order.total, "currency": "CNY"},
        }
        if order.transaction_id is not None and order.success_time is not None:
            payload.update({
                "transaction_id": order.transaction_id,
                "bank_type": "OTHERS",
                "success_time": _rfc3339(order.success_time),
                "amount": {"total": order.total, "payer_total": order.total, "currency": "CNY",
                           "payer_currency": "CNY"},
            })
        return payload

    def _api_close_order(self, request: FakeRequest, out_trade_no: str) -> FakeResponse:
        with self.lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                return _error(404, "ORDER_NOT_EXIST", "订单不存在")
            if order.trade_state in ("SUCCESS", "REFUND"):
                return _error(400, "ORDERPAID", "订单已支付，不能关闭")
            order.trade_state = "CLOSED"
        return FakeResponse(204)

    # --- API: refunds ---
    def _api_create_refund(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "PARAM_ERROR", "请求体不是合法的JSON")
        out_refund_no = body.get("out_refund_no")
        if not isinstance(out_refund_no, str) or not OUT_REFUND_NO_RE.match(out_refund_no):
            return _param_error("/out_refund_no", "必填且只能是1-64位数字、大小写字母_-|*@", out_refund_no)
        amount = body.get("amount")
        if not (isinstance(amount, dict) and _is_fen(amount.get("refund")) and _is_fen(amount.get("total"))):
            return _param_error("/amount", "refund和total必须是大于0的整数(分)", amount)
        if not body.get("out_trade_no") and not body.get("transaction_id"):
            return _param_error("/out_trade_no", "out_trade_no和transaction_id必须二选一")
        with self.lock:
            order = self._find_order(body.get("out_trade_no"), body.get("transaction_id"))
            if order is None:
                return _error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            existing = self._refunds.get(out_refund_no)
            if existing is not None:
                same = (existing.out_trade_no, existing.refund, existing.total) == (
                    order.out_trade_no, amount["refund"], amount["total"])
                if not same:
                    return _error(400, "INVALID_REQUEST", "退款单号已存在且参数不一致")
                return FakeResponse.json(self._refund_json(existing))
            if order.trade_state not in ("SUCCESS", "REFUND") or order.transaction_id is None:
                return _error(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount["total"] != order.total:
                return _error(400, "PARAM_ERROR", "订单金额total与原订单金额不一致")
            refunded = sum(r.refund for r in self._refunds.values()
                           if r.out_trade_no == order.out_trade_no and r.status in ("PROCESSING", "SUCCESS"))
            if refunded + amount["refund"] > order.total:
                return _error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            refund = _Refund(
                out_refund_no=out_refund_no, refund_id="50" + _digits(27), out_trade_no=order.out_trade_no,
                transaction_id=order.transaction_id, refund=amount["refund"], total=amount["total"],
                reason=body.get("reason"), notify_url=body.get("notify_url"), created_at=self.clock(),
            )
            self._refunds[out_refund_no] = refund
            order.trade_state = "REFUND"
            payload = self._refund_json(refund)
        if self.refund_delay is not None:
            self._schedule(self.refund_delay, self._auto_complete_refund, out_refund_no)
        return FakeResponse.json(payload)

    def _refund_json(self, refund: _Refund) -> dict:
        payload: dict[str, Any] = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": refund.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _rfc3339(refund.created_at),
            "status": refund.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": refund.total, "refund": refund.refund, "from": [], "payer_total": refund.total,
                "payer_refund": refund.refund, "settlement_refund": refund.refund,
                "settlement_total": refund.total, "discount_refund": 0, "currency": "CNY", "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if refund.success_time is not None:
            payload["success_time"] = _rfc3339(refund.success_time)
        return payload

    def _api_query_refund(self, request: FakeRequest, out_refund_no: str) -> FakeResponse:
        with self.lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                return _error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return FakeResponse.json(self._refund_json(refund))

    # --- API: merchant transfers (商家转账) ---
    def _api_create_transfer(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "PARAM_ERROR", "请求体不是合法的JSON")
        for name in ("appid", "out_bill_no", "transfer_scene_id", "openid", "transfer_remark"):
            if not isinstance(body.get(name), str) or not body[name]:
                return _param_error(f"/{name}", "必填字段缺失")
        if body["appid"] != self.appid:
            return _error(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
        if not OUT_BILL_NO_RE.match(body["out_bill_no"]):
            return _param_error("/out_bill_no", "只能是5-32位数字、大小写字母", body["out_bill_no"])
        amount = body.get("transfer_amount")
        if not isinstance(amount, int) or not _is_fen(amount):
            return _param_error("/transfer_amount", "必须是大于0的整数(分)", amount)
        if len(body["transfer_remark"]) > 32:
            return _param_error("/transfer_remark", "最多32个字符")
        infos = body.get("transfer_scene_report_infos") or []
        reported = {i.get("info_type") for i in infos if isinstance(i, dict)}
        missing = [t for t in SCENE_REPORT_TYPES.get(body["transfer_scene_id"], ()) if t not in reported]
        if missing:
            return _param_error("/transfer_scene_report_infos", f"缺少报备信息: {','.join(missing)}")
        user_name = None
        if body.get("user_name"):
            # An encrypted field names the key it was encrypted for in Wechatpay-Serial.
            serial = request.headers.get("wechatpay-serial")
            if serial not in (self.keys.platform_public_key_id, self.certificate_serial):
                return _error(400, "PARAM_ERROR", "Wechatpay-Serial 缺失或与加密所用的平台公钥不符")
            try:
                user_name = self._platform_key.decrypt(
                    base64.b64decode(body["user_name"], validate=True),
                    padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),  # noqa: S303 - WeChat's scheme
                ).decode("utf-8")
            except ValueError:
                return _param_error("/user_name", "解密失败，请使用微信支付平台公钥加密")
        if amount >= REAL_NAME_THRESHOLD_FEN and not user_name:
            return _param_error("/user_name", "转账金额>=2000元时，收款用户姓名必填")
        now = self.clock()
        transfer = _Transfer(
            appid=body["appid"], out_bill_no=body["out_bill_no"], transfer_bill_no="1330" + _digits(36),
            transfer_scene_id=body["transfer_scene_id"], openid=body["openid"], amount=amount,
            remark=body["transfer_remark"], user_name=user_name, notify_url=body.get("notify_url"),
            package_info=base64.b64encode(secrets.token_bytes(48)).decode("ascii"), created_at=now,
            updated_at=now,
        )
        with self.lock:
            existing = self._transfers.get(transfer.out_bill_no)
            if existing is not None:
                if existing.fingerprint() != transfer.fingerprint():
                    return _error(400, "INVALID_REQUEST", "商户单号已存在且参数不一致")
                transfer = existing
            else:
                self._transfers[transfer.out_bill_no] = transfer
            payload: dict[str, Any] = {
                "out_bill_no": transfer.out_bill_no,
                "transfer_bill_no": transfer.transfer_bill_no,
                "create_time": _rfc3339(transfer.created_at),
                "state": transfer.state,
            }
            if transfer.state == "WAIT_USER_CONFIRM":
                payload["package_info"] = transfer.package_info
            if transfer.fail_reason:
                payload["fail_reason"] = transfer.fail_reason
        return FakeResponse.json(payload)

    def _transfer_json(self, transfer: _Transfer) -> dict:
        payload: dict[str, Any] = {
            "mch_id": self.mchid,
            "out_bill_no": transfer.out_bill_no,
            "transfer_bill_no": transfer.transfer_bill_no,
            "appid": transfer.appid,
            "state": transfer.state,
            "transfer_amount": transfer.amount,
            "transfer_remark": transfer.remark,
            "openid": transfer.openid,
            "create_time": _rfc3339(transfer.created_at),
            "update_time": _rfc3339(transfer.updated_at or transfer.created_at),
        }
        if transfer.fail_reason:
            payload["fail_reason"] = transfer.fail_reason
        return payload

    def _api_query_transfer(self, request: FakeRequest, out_bill_no: str) -> FakeResponse:
        with self.lock:
            transfer = self._transfers.get(out_bill_no)
            if transfer is None:
                return _error(404, "NOT_FOUND", "转账单不存在")
            return FakeResponse.json(self._transfer_json(transfer))

    def _api_cancel_transfer(self, request: FakeRequest, out_bill_no: str) -> FakeResponse:
        with self.lock:
            transfer = self._transfers.get(out_bill_no)
            if transfer is None:
                return _error(404, "NOT_FOUND", "转账单不存在")
            if transfer.state in ("SUCCESS", "FAIL"):
                return _error(400, "INVALID_REQUEST", f"转账单已是终态{transfer.state}，不能撤销")
            newly_cancelled = transfer.state != "CANCELLED"
            if newly_cancelled:
                # WeChat answers CANCELING and reaches CANCELLED shortly after; the fake gets there at once.
                self._finish_transfer(transfer, "CANCELLED")
            payload = {"out_bill_no": transfer.out_bill_no, "transfer_bill_no": transfer.transfer_bill_no,
                       "state": "CANCELING" if newly_cancelled else transfer.state,
                       "update_time": _rfc3339(transfer.updated_at or transfer.created_at)}
        return FakeResponse.json(payload)

    # --- API: bills ---
    def _api_trade_bill(self, request: FakeRequest) -> FakeResponse:
        bill_type = request.query.get("bill_type") or "ALL"
        if bill_type not in ("ALL", "SUCCESS", "REFUND"):
            return _param_error("bill_type", "只支持ALL、SUCCESS、REFUND", bill_type)
        return self._bill_request(request, lambda day: self.trade_bill_csv(day, bill_type))

    def _api_fund_flow_bill(self, request: FakeRequest) -> FakeResponse:
        account_type = request.query.get("account_type") or "BASIC"
        if account_type not in ("BASIC", "OPERATION", "FEES"):
            return _param_error("account_type", "只支持BASIC、OPERATION、FEES", account_type)
        # Only the basic account moves in this fake: the others have no bill.
        return self._bill_request(request, lambda day: self.fund_flow_bill_csv(day) if account_type == "BASIC"
                                  else None)

    def _bill_request(self, request: FakeRequest, make: Callable[[date], bytes | None]) -> FakeResponse:
        """The common part of a bill request: bill_date and tar_type checked, STATEMENT_CREATING before the bills
        exist, NO_STATEMENT_EXIST for a day without a record, else the download URL and the file's hash."""
        try:
            day = date.fromisoformat(request.query.get("bill_date", ""))
        except ValueError:
            return _param_error("bill_date", "格式为yyyy-MM-DD", request.query.get("bill_date"))
        tar_type = request.query.get("tar_type") or ""
        if tar_type not in ("", "GZIP"):
            return _param_error("tar_type", "只支持GZIP", tar_type)
        if not self._bill_ready(day):
            return _error(400, "STATEMENT_CREATING", "账单生成中")
        return self._bill_answer(make(day), tar_type)

    def _bill_ready(self, day: date) -> bool:
        if self.bills_ready_hour is None:
            return True
        ready_at = datetime.combine(day + timedelta(days=1), datetime.min.time(), BEIJING) + timedelta(
            hours=self.bills_ready_hour)
        return self.clock() >= ready_at

    def _bill_answer(self, content: bytes | None, tar_type: str) -> FakeResponse:
        if content is None:
            return _error(400, "NO_STATEMENT_EXIST", "账单文件不存在")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self._bill_files[token] = (gzip.compress(content) if tar_type else content, time.time() + 300)
        return FakeResponse.json({
            "hash_type": "SHA1",
            # The hash is of the bill itself (before gzip), as WeChat documents.
            "hash_value": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
            "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
        })

    def _api_download_bill(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            stored = self._bill_files.get(request.query.get("token", ""))
        if stored is None or stored[1] < time.time():
            return _error(400, "INVALID_REQUEST", "下载链接无效或已过期")
        return FakeResponse(200, stored[0], {"Content-Type": "application/octet-stream"})

    def trade_bill_csv(self, day: date, bill_type: str = "ALL") -> bytes | None:
        """The trade bill of `day` (Beijing time) in WeChat's format, or None when it has no record.

        Payments are listed on the day they succeeded, refunds on the day they were accepted (their status as
        of now). Amounts in yuan; every detail field starts with a backtick; CRLF lines; two summary lines.
        """
        rate = f"{(self.fee_rate * 100).quantize(Decimal('0.01'))}%"
        rows: list[list[str]] = []
        totals = {"settle": 0, "refund": 0, "fee": 0, "order": 0, "asked": 0}
        with self.lock:
            orders = {o.out_trade_no: o for o in self._orders.values()}
            if bill_type in ("ALL", "SUCCESS"):
                paid = [o for o in orders.values()
                        if o.success_time and o.success_time.astimezone(BEIJING).date() == day]
                for order in sorted(paid, key=lambda o: o.success_time or o.created_at):
                    assert order.success_time is not None and order.transaction_id is not None
                    fee = self._fee_fen(order.total)
                    rows.append([
                        order.success_time.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                        order.appid, order.mchid, "0", "", order.transaction_id, order.out_trade_no,
                        order.openid, "JSAPI", "SUCCESS", "OTHERS", "CNY", _yuan(order.total), "0.00",
                        "0", "0", "0.00", "0.00", "", "", order.description, order.attach or "",
                        _yuan(fee, 5), rate, _yuan(order.total), "0.00", "",
                    ])
                    totals["settle"] += order.total
                    totals["order"] += order.total
                    totals["fee"] += fee
            if bill_type in ("ALL", "REFUND"):
                accepted = [r for r in self._refunds.values()
                            if r.created_at.astimezone(BEIJING).date() == day]
                for refund in sorted(accepted, key=lambda r: r.created_at):
                    order = orders[refund.out_trade_no]
                    fee = -self._fee_fen(refund.refund)  # the fee on the refunded part is given back
                    rows.append([
                        refund.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                        order.appid, order.mchid, "0", "", refund.transaction_id, order.out_trade_no,
                        order.openid, "JSAPI", "REFUND", "OTHERS", "CNY", "0.00", "0.00",
                        refund.refund_id, refund.out_refund_no, _yuan(refund.refund), "0.00", "ORIGINAL",
                        refund.status, order.description, order.attach or "", _yuan(fee, 5), rate, "0.00",
                        _yuan(refund.refund), "",
                    ])
                    totals["refund"] += refund.refund
                    totals["asked"] += refund.refund
                    totals["fee"] += fee
        if not rows:
            return None
        summary = [str(len(rows)), _yuan(totals["settle"]), _yuan(totals["refund"]), "0.00",
                   _yuan(totals["fee"], 5), _yuan(totals["order"]), _yuan(totals["asked"])]
        lines = [TRADE_BILL_HEADER, *(",".join("`" + f for f in row) for row in rows),
                 TRADE_BILL_SUMMARY_HEADER, ",".join("`" + f for f in summary)]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def fund_flow_bill_csv(self, day: date) -> bytes | None:
        """The basic account's fund-flow bill of `day` (Beijing time), or None when nothing moved.

        Lines in booking order: a payment's income (业务凭证号 = out_trade_no) and its fee, a refund paid out
        (业务凭证号 = out_refund_no, on the day it was accepted), a merchant transfer that succeeded (业务凭证号 =
        out_bill_no); the running balance starts at 0 on the day."""
        events: list[tuple[datetime, str, str, str, str, int, str]] = []  # time, wx no, name, type, dir, fen, voucher
        with self.lock:
            for order in self._orders.values():
                if order.success_time and order.success_time.astimezone(BEIJING).date() == day:
                    assert order.transaction_id is not None
                    events.append((order.success_time, order.transaction_id, "交易", "交易", "收入", order.total,
                                   order.out_trade_no))
                    events.append((order.success_time, order.transaction_id, "交易", "扣除交易手续费", "支出",
                                   self._fee_fen(order.total), order.out_trade_no))
            for refund in self._refunds.values():
                if refund.created_at.astimezone(BEIJING).date() == day:
                    events.append((refund.created_at, refund.refund_id, "退款", "退款", "支出", refund.refund,
                                   refund.out_refund_no))
            for transfer in self._transfers.values():
                finished = transfer.updated_at
                if transfer.state == "SUCCESS" and finished and finished.astimezone(BEIJING).date() == day:
                    events.append((finished, transfer.transfer_bill_no, "商家转账", "商家转账", "支出", transfer.amount,
                                   transfer.out_bill_no))
        if not events:
            return None
        balance = 0
        rows = []
        income = expense = 0
        incomes = expenses = 0
        for when, wx_no, name, kind, direction, fen, voucher in sorted(events, key=lambda e: e[0]):
            if direction == "收入":
                balance += fen
                income += fen
                incomes += 1
            else:
                balance -= fen
                expense += fen
                expenses += 1
            rows.append([when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), wx_no, _digits(28), name, kind,
                         direction, _yuan(fen), _yuan(balance), "system", "", voucher])
        summary = [str(len(rows)), str(incomes), _yuan(income), str(expenses), _yuan(expense)]
        lines = [FUND_FLOW_HEADER, *(",".join("`" + f for f in row) for row in rows),
                 FUND_FLOW_SUMMARY_HEADER, ",".join("`" + f for f in summary)]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def _fee_fen(self, amount_fen: int) -> int:
        # WeChat rounds each transaction's fee to the fen.
        return int((Decimal(amount_fen) * self.fee_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def _api_certificates(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            self.certificate_downloads += 1
        nonce, ciphertext = self.encrypt_resource(self.platform_certificate_pem.encode(), "certificate")
        now = datetime.now(BEIJING)
        return FakeResponse.json({"data": [{
            "serial_no": self.certificate_serial,
            "effective_time": _rfc3339(now - timedelta(days=1)),
            "expire_time": _rfc3339(now + timedelta(days=5 * 365)),
            "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce,
                                    "associated_data": "certificate", "ciphertext": ciphertext},
        }]})

    # --- controls (Python) ---
    def pay(self, out_trade_no: str, success_time: datetime | None = None) -> dict:
        """The payer pays the order: SUCCESS, then TRANSACTION.SUCCESS to the order's notify_url."""
        with self.lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise FakeStateError(404, f"no order {out_trade_no}")
            if order.trade_state != "NOTPAY":
                raise FakeStateError(409, f"order {out_trade_no} is {order.trade_state}")
            if order.time_expire and datetime.fromisoformat(order.time_expire) < datetime.now(BEIJING):
                order.trade_state = "CLOSED"
                raise FakeStateError(409, f"order {out_trade_no} expired at {order.time_expire}")
            order.trade_state = "SUCCESS"
            order.transaction_id = "4200" + _digits(24)
            order.success_time = success_time or self.clock()
            resource = self._order_json(order)
            url = order.notify_url
        self._notify("TRANSACTION.SUCCESS", "支付成功", "transaction", resource, url)
        return resource

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        """A PROCESSING refund ends (SUCCESS, ABNORMAL or CLOSED) and REFUND.* goes to its notify_url."""
        if status not in REFUND_EVENTS:
            raise ValueError(f"status must be one of {sorted(REFUND_EVENTS)}")
        with self.lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise FakeStateError(404, f"no refund {out_refund_no}")
            if refund.status != "PROCESSING":
                raise FakeStateError(409, f"refund {out_refund_no} is {refund.status}")
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = self.clock()
            resource: dict[str, Any] = {
                "mchid": self.mchid, "out_trade_no": refund.out_trade_no,
                "transaction_id": refund.transaction_id, "out_refund_no": refund.out_refund_no,
                "refund_id": refund.refund_id, "refund_status": status,
                "user_received_account": "支付用户零钱",
                "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total,
                           "payer_refund": refund.refund},
            }
            if refund.success_time is not None:
                resource["success_time"] = _rfc3339(refund.success_time)
            url = refund.notify_url
            payload = self._refund_json(refund)
        event_type, summary = REFUND_EVENTS[status]
        self._notify(event_type, summary, "refund", resource, url)
        return payload

    def handle_abnormal_refund(self, out_refund_no: str) -> dict:
        """The merchant handled an ABNORMAL refund by hand (商户平台 → 退款异常处理): a query now answers SUCCESS.
        No notification is sent (the operator then settles it from the console)."""
        with self.lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise FakeStateError(404, f"no refund {out_refund_no}")
            if refund.status != "ABNORMAL":
                raise FakeStateError(409, f"refund {out_refund_no} is {refund.status}")
            refund.status = "SUCCESS"
            refund.success_time = self.clock()
            return self._refund_json(refund)

    def _auto_complete_refund(self, out_refund_no: str) -> None:
        with contextlib.suppress(FakeStateError):  # completed (or failed) by a control first
            self.complete_refund(out_refund_no)

    def confirm_transfer(self, out_bill_no: str) -> dict:
        """The payee confirms in the mini-program (wx.requestMerchantTransfer): SUCCESS + notification."""
        return self._end_transfer(out_bill_no, "SUCCESS")

    def fail_transfer(self, out_bill_no: str, fail_reason: str = "PAYEE_ACCOUNT_ABNORMAL") -> dict:
        return self._end_transfer(out_bill_no, "FAIL", fail_reason)

    def _end_transfer(self, out_bill_no: str, state: str, fail_reason: str | None = None) -> dict:
        with self.lock:
            transfer = self._transfers.get(out_bill_no)
            if transfer is None:
                raise FakeStateError(404, f"no transfer {out_bill_no}")
            if transfer.state != "WAIT_USER_CONFIRM":
                raise FakeStateError(409, f"transfer {out_bill_no} is {transfer.state}")
            self._finish_transfer(transfer, state, fail_reason)
            return self._transfer_json(transfer)

    def _finish_transfer(self, transfer: _Transfer, state: str, fail_reason: str | None = None) -> None:
        """Move to a final state and send MCHTRANSFER.BILL.FINISHED (caller holds the lock)."""
        transfer.state = state
        transfer.fail_reason = fail_reason
        transfer.updated_at = self.clock()
        resource: dict[str, Any] = {
            "mchid": self.mchid, "out_bill_no": transfer.out_bill_no,
            "transfer_bill_no": transfer.transfer_bill_no, "state": state,
            "transfer_amount": transfer.amount, "openid": transfer.openid,
            "create_time": _rfc3339(transfer.created_at), "update_time": _rfc3339(transfer.updated_at),
        }
        if fail_reason:
            resource["fail_reason"] = fail_reason
        self._notify("MCHTRANSFER.BILL.FINISHED", "商家转账单据终态通知", "mch_payment", resource,
                     transfer.notify_url)

    def order(self, out_trade_no: str) -> dict:
        with self.lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                raise FakeStateError(404, f"no order {out_trade_no}")
            return self._order_json(order)

    def refund(self, out_refund_no: str) -> dict:
        with self.lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise FakeStateError(404, f"no refund {out_refund_no}")
            return self._refund_json(refund)

    def transfer(self, out_bill_no: str) -> dict:
        """The transfer as queried, plus the decrypted `user_name` the merchant sent."""
        with self.lock:
            transfer = self._transfers.get(out_bill_no)
            if transfer is None:
                raise FakeStateError(404, f"no transfer {out_bill_no}")
            return {**self._transfer_json(transfer), "user_name": transfer.user_name}

    def notifications(self, event_type: str | None = None) -> list[dict]:
        """Sent notifications, oldest first: {id, event_type, url, resource, delivered, gave_up, attempts}."""
        with self.lock:
            return [n.snapshot() for n in self._notifications.values()
                    if event_type is None or n.event_type == event_type]

    def resend_notification(self, notification_id: str) -> None:
        """Deliver a notification once more, delivered or not: WeChat does send duplicates."""
        with self.lock:
            if notification_id not in self._notifications:
                raise FakeStateError(404, f"no notification {notification_id}")
        self._schedule(0, self._deliver, notification_id, False)

    # --- controls (HTTP) ---
    def _ctl_pay(self, body: dict) -> dict:
        success_time = datetime.fromisoformat(body["success_time"]) if body.get("success_time") else None
        return self.pay(body["out_trade_no"], success_time)

    def _ctl_confirm(self, body: dict, out_bill_no: str) -> dict:
        return self.confirm_transfer(out_bill_no)

    def _ctl_fail(self, body: dict, out_bill_no: str) -> dict:
        return self.fail_transfer(out_bill_no, body.get("fail_reason") or "PAYEE_ACCOUNT_ABNORMAL")

    def _ctl_refund(self, body: dict, out_refund_no: str) -> dict:
        return self.complete_refund(out_refund_no, body.get("status") or "SUCCESS")

    def _ctl_notifications(self, body: dict) -> dict:
        return {"notifications": self.notifications()}

    def _ctl_resend(self, body: dict, notification_id: str) -> dict:
        self.resend_notification(notification_id)
        return {"id": notification_id, "resent": True}

    # --- notifications ---
    def _notify(
        self, event_type: str, summary: str, original_type: str, resource: dict, url: str | None
    ) -> None:
        if not url:
            log.info("wechatpay fake: %s has no notify_url, not sent", event_type)
            return
        plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        nonce, ciphertext = self.encrypt_resource(plaintext, original_type)
        now = datetime.now(BEIJING)
        envelope = {
            "id": str(uuid.uuid4()),
            "create_time": _rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": ciphertext, "associated_data": original_type, "nonce": nonce},
        }
        notification = _Notification(
            id=str(envelope["id"]), event_type=event_type, url=url,
            body=json.dumps(envelope, ensure_ascii=False).encode("utf-8"), resource=resource, created_at=now,
        )
        with self.lock:
            self._notifications[notification.id] = notification
        self._schedule(0, self._deliver, notification.id, True)

    def _deliver(self, notification_id: str, scheduled: bool) -> None:
        """One delivery attempt. `scheduled` attempts form the retry chain; a resend is a one-off."""
        with self.lock:
            notification = self._notifications.get(notification_id)
            if notification is None or (scheduled and notification.delivered):
                return
            url, body = notification.url, notification.body
        # Signed afresh at each attempt: receivers refuse stale timestamps, and retries go on for a day.
        headers = {"Content-Type": "application/json", "Request-ID": uuid.uuid4().hex, **self.sign(body)}
        status, error = self._post(url, body, headers)
        acknowledged = status is not None and 200 <= status < 300
        with self.lock:
            notification.attempts.append({"at": _rfc3339(datetime.now(BEIJING)), "status": status,
                                          "error": error, "resend": not scheduled})
            if acknowledged:
                notification.delivered = True
                return
            if not scheduled:
                return
            notification.failures += 1
            if notification.failures > len(self.retry_schedule):
                notification.gave_up = True
                return
            delay = self.retry_schedule[notification.failures - 1]
        self._schedule(delay, self._deliver, notification_id, True)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        if not url.startswith(("http://", "https://")):
            return None, f"unsupported notify_url {url!r}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
        try:
            with self._opener.open(request, timeout=self.notify_timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except OSError as exc:  # refused, timed out, reset: the merchant did not acknowledge
            return None, str(exc)

    def _schedule(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            with self.lock:
                self._timers.discard(timer)
                if self._stopped:
                    return
            try:
                fn(*args)
            except Exception:  # a background task must not die silently
                log.exception("wechatpay fake: background task %s failed", getattr(fn, "__name__", fn))

        timer = threading.Timer(delay, run)
        timer.daemon = True
        with self.lock:
            if self._stopped:
                return
            self._timers.add(timer)
        timer.start()
