"""WeChat Pay API v3 through wechatpayv3: JSAPI (mini-program) payments, refunds, merchant transfers
(商家转账), trade bills, and verified + decrypted notifications.

wechatpayv3 (≈170 ms to import, with requests and cryptography) is imported on the first call that needs the
client, never at module import: most functions never touch payments and must not pay for it at cold start.

The gateway is a setting: wechatpayv3 2.x has no constructor argument for it, so the client's
`_core._gate_way` is set after construction; tests and `make dev` point it at `infra/fakes/wechatpay.py`
(which is why requirements.txt pins wechatpayv3 exactly).

Both ways WeChat Pay signs are supported, because merchants migrate from one to the other and meanwhile receive
both: "platform public key" mode (WECHATPAY_PUBLIC_KEY + _ID; Wechatpay-Serial is the key id, PUB_KEY_ID_...) and
"platform certificate" mode (Wechatpay-Serial is a certificate serial; the certificates are downloaded from
/v3/certificates, decrypted with the APIv3 key, cached per container). The serial each message carries chooses the
key. An unknown serial triggers at most one download per CERTIFICATE_REFRESH_SECONDS, so forged serials cannot
make every request call WeChat. Without a public key the wechatpayv3 client is built from certificates we
downloaded (its own download at construction would go to the production gateway before ours can be set).

Notifications are verified here, not with wechatpayv3's `callback()`: that helper does not check the
timestamp (a captured notification could be replayed forever), answers None for every failure, turns the raw
body into text before verifying, and for a serial it does not know downloads /v3/certificates (or fails on
`int(serial, 16)`) on the request path. `parse_notification` verifies the RSA signature over the raw bytes,
refuses timestamps more than 5 minutes from `now`, and raises a distinct error for each failure.

Money is integer fen everywhere (WeChat's `total`, `refund`, `transfer_amount` are fen too); the trade bill,
which is in yuan, is converted to fen exactly.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.config import Settings

BEIJING = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
NOTIFICATION_MAX_AGE = timedelta(minutes=5)
REAL_NAME_THRESHOLD_FEN = 200_000  # from ¥2,000 a transfer must carry the payee's real name
# Transfer scene 1005 佣金报酬 (pay for work) and the report fields WeChat requires for it.
DEFAULT_TRANSFER_SCENE_ID = "1005"
DEFAULT_TRANSFER_REPORT_INFOS: tuple[tuple[str, str], ...] = (
    ("岗位类型", "兼职开发"),
    ("报酬说明", "任务报酬"),
)
DEFAULT_USER_RECV_PERCEPTION = "劳务报酬"
_RETRYABLE_CODES = frozenset({"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "SYSTEMERROR"})
CERTIFICATE_REFRESH_SECONDS = 60.0


# --------------------------------------------------------------------------------------------------- errors


class WeChatPayError(Exception):
    """WeChat Pay refused a call (`status` = HTTP status, `code`/`message` as WeChat gave them), or the call
    failed on our side (`status` 0)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"WeChat Pay {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        """Worth retrying later with the same out_* number (WeChat's calls are idempotent on it)."""
        return self.status == 429 or self.status >= 500 or self.code in _RETRYABLE_CODES


class WeChatPayUnavailable(WeChatPayError):
    """Network failure or timeout: the call may or may not have happened; retry with the same number."""

    @property
    def retryable(self) -> bool:
        return True


class NotFound(WeChatPayError):
    """404: no such order / refund / transfer (ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS, NOT_FOUND)."""


class RealNameRequired(WeChatPayError):
    """A transfer of ¥2,000 or more without the payee's real name (refused before calling WeChat)."""


class InvalidSignature(WeChatPayError):
    """A notification (or an API answer) whose WeChat Pay signature does not verify."""


class UnknownSerial(InvalidSignature):
    """Signed with a key we do not know (Wechatpay-Serial is not our platform public key id)."""


class StaleNotification(WeChatPayError):
    """A validly signed notification whose timestamp is over 5 minutes from now (a replay, or a clock)."""


class DecryptError(WeChatPayError):
    """The notification's resource does not decrypt with our APIv3 key (tampered, or the wrong key)."""


class MalformedNotification(WeChatPayError):
    """Signed, but not the JSON envelope WeChat Pay sends."""


class BillNotReady(WeChatPayError):
    """STATEMENT_CREATING: the day's bill is still being made (from about 9:00 the next day); ask again later."""


# --------------------------------------------------------------------------------------------------- values


def _amount(amount: Mapping[str, Any], key: str) -> int:
    """An amount in fen as WeChat Pay writes it: a JSON integer, never negative. "50000" or 50000.9 is not one, and
    is refused rather than coerced (a money amount is compared, posted and refunded as it is)."""
    value = amount[key]
    if type(value) is not int or value < 0:
        raise ValueError(f"amount.{key} is not a whole number of fen: {value!r}")
    return value


def _optional_amount(amount: Mapping[str, Any], key: str) -> int | None:
    return None if amount.get(key) is None else _amount(amount, key)


def _parse_time(value: Any) -> datetime | None:
    """RFC 3339 as WeChat writes it ("2018-06-08T10:34:56+08:00"); None when absent."""
    if not value or not isinstance(value, str):
        return None
    # Python 3.10's fromisoformat does not read a "Z" suffix.
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


@dataclass(frozen=True)
class Order:
    """A JSAPI transaction, from a query or from a TRANSACTION.* notification resource (same shape).

    `state`: SUCCESS, REFUND (refunded at least in part), NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR."""

    out_trade_no: str
    state: str
    state_desc: str
    amount_fen: int
    payer_total_fen: int | None
    transaction_id: str | None
    mchid: str
    appid: str
    payer_openid: str | None
    attach: str | None
    success_time: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_resource(cls, data: Mapping[str, Any]) -> Order:
        amount = data.get("amount") or {}
        return cls(
            out_trade_no=data["out_trade_no"],
            state=data["trade_state"],
            state_desc=data.get("trade_state_desc", ""),
            amount_fen=_amount(amount, "total"),
            payer_total_fen=_optional_amount(amount, "payer_total"),
            transaction_id=data.get("transaction_id") or None,
            mchid=data.get("mchid", ""),
            appid=data.get("appid", ""),
            payer_openid=(data.get("payer") or {}).get("openid"),
            attach=data.get("attach") or None,
            success_time=_parse_time(data.get("success_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Refund:
    """A refund, from the create / query answer or a REFUND.* notification resource.

    `status`: PROCESSING, SUCCESS, CLOSED, ABNORMAL."""

    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    status: str
    refund_fen: int
    total_fen: int
    payer_refund_fen: int | None
    user_received_account: str | None
    create_time: datetime | None
    success_time: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_resource(cls, data: Mapping[str, Any]) -> Refund:
        amount = data.get("amount") or {}
        return cls(
            out_refund_no=data["out_refund_no"],
            refund_id=data.get("refund_id", ""),
            out_trade_no=data.get("out_trade_no", ""),
            transaction_id=data.get("transaction_id", ""),
            # The API answers `status`, the notification `refund_status`.
            status=data.get("status") or data["refund_status"],
            refund_fen=_amount(amount, "refund"),
            total_fen=_amount(amount, "total"),
            payer_refund_fen=_optional_amount(amount, "payer_refund"),
            user_received_account=data.get("user_received_account"),
            create_time=_parse_time(data.get("create_time")),
            success_time=_parse_time(data.get("success_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Transfer:
    """A merchant transfer (商家转账) from the create / query / cancel answer or a MCHTRANSFER.BILL.FINISHED
    resource. Fields a given answer lacks are None (the create answer has no amount, the query no package).

    `state`: ACCEPTED, PROCESSING, WAIT_USER_CONFIRM, TRANSFERING, SUCCESS, FAIL, CANCELING, CANCELLED.
    `package_info` (WAIT_USER_CONFIRM only) goes to the mini-program for wx.requestMerchantTransfer."""

    out_bill_no: str
    transfer_bill_no: str | None
    state: str
    package_info: str | None = None
    amount_fen: int | None = None
    openid: str | None = None
    fail_reason: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_resource(cls, data: Mapping[str, Any]) -> Transfer:
        return cls(
            out_bill_no=data["out_bill_no"],
            transfer_bill_no=data.get("transfer_bill_no"),
            state=data["state"],
            package_info=data.get("package_info"),
            amount_fen=_optional_amount(data, "transfer_amount"),
            openid=data.get("openid"),
            fail_reason=data.get("fail_reason") or None,
            create_time=_parse_time(data.get("create_time")),
            update_time=_parse_time(data.get("update_time")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class TradeBillRow:
    """One detail line of a trade bill (交易账单). Amounts in fen; `trade_state` SUCCESS for a payment line,
    REFUND for a refund line (then the refund fields are set). Columns a bill type lacks are 0 / None."""

    trade_time: datetime
    appid: str
    mchid: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    trade_state: str
    bank_type: str
    currency: str
    settlement_total_fen: int  # 应结订单金额
    coupon_fen: int  # 代金券金额
    refund_id: str | None
    out_refund_no: str | None
    refund_fen: int  # 退款金额
    recharge_coupon_refund_fen: int  # 充值券退款金额
    refund_type: str | None
    refund_status: str | None
    description: str
    attach: str
    fee_fen: int  # 手续费, negative on refund lines (the fee given back)
    fee_rate: str  # "0.60%"
    total_fen: int  # 订单金额
    requested_refund_fen: int  # 申请退款金额
    fee_remark: str


@dataclass(frozen=True)
class FundFlowRow:
    """One line of a fund-flow bill (资金账单) of the basic account: money in or out, in fen. `voucher_no`
    (业务凭证号) is the merchant's number of the business: out_trade_no for a payment and its fee, out_refund_no
    for a refund, out_bill_no for a merchant transfer."""

    booked_at: datetime  # 记账时间
    wechatpay_no: str  # 微信支付业务单号
    flow_no: str  # 资金流水单号
    business_name: str  # 业务名称: 交易, 退款, 商家转账 ...
    business_type: str  # 业务类型: 交易, 扣除交易手续费, 退款, 商家转账 ...
    income: bool  # 收支类型: 收入 (True) / 支出
    amount_fen: int  # 收支金额, positive
    balance_fen: int  # 账户结余
    voucher_no: str

    @property
    def is_transfer(self) -> bool:
        """A payout to a person's balance (商家转账, 企业付款 of the older API)."""
        return not self.income and any(w in self.business_name + self.business_type for w in ("转账", "企业付款"))


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification. `resource` is the decrypted JSON (for TRANSACTION.* feed it to
    `Order.from_resource`, REFUND.* to `Refund.from_resource`, MCHTRANSFER.* to `Transfer.from_resource`)."""

    id: str
    event_type: str
    create_time: datetime | None
    resource_type: str
    summary: str
    original_type: str
    resource: dict


# --------------------------------------------------------------------------------------------------- gateway


def _pem(value: str) -> str:
    """PEM text from a setting: SCF environment variables are one line, so "\\n" may stand for newlines."""
    value = value.strip()
    if "\\n" in value and "\n" not in value:
        value = value.replace("\\n", "\n")
    return value


def _fen(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer number of fen, got {value!r}")
    return value


def _json_object(body: Any) -> dict:
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise WeChatPayError(0, "BAD_RESPONSE", f"not JSON: {str(body)[:200]!r}") from exc
    if not isinstance(data, dict):
        raise WeChatPayError(0, "BAD_RESPONSE", "JSON answer is not an object")
    return data


def _api_error(status: int, body: Any) -> WeChatPayError:
    try:
        data = json.loads(body) if body else {}
    except (TypeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = str(data.get("code") or f"HTTP_{status}")
    message = str(data.get("message") or "")
    if data.get("detail"):
        message = f"{message} {json.dumps(data['detail'], ensure_ascii=False)}"
    cls = NotFound if status == 404 else WeChatPayError
    return cls(status, code, message)


def _serial_number(serial: str) -> int | None:
    """A certificate serial as WeChat writes it (hex, any case, maybe leading zeros) -> its number; None if not hex."""
    try:
        return int(serial, 16) if serial and len(serial) <= 64 else None
    except ValueError:
        return None


class PlatformCertificates:
    """The WeChat Pay platform certificates of certificate mode, by serial number: downloaded from /v3/certificates
    (signed like every answer, the certificates AES-GCM encrypted with the APIv3 key), only those valid now kept."""

    def __init__(self, *, gateway: str, mchid: str, cert_serial_no: str, private_key_pem: str, apiv3_key: str,
                 timeout: float | tuple[float, float], public_key: Callable[[str], Any],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._gateway = gateway
        self._mchid = mchid
        self._cert_serial_no = cert_serial_no
        self._private_key_pem = private_key_pem
        self._apiv3_key = apiv3_key
        self._timeout = timeout
        self._public_key = public_key  # the platform public key for a serial, if it is the public key's id
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[int, Any] = {}
        self._pems: dict[int, str] = {}
        self._downloaded_at: float | None = None
        self.downloads = 0

    def key(self, serial: str) -> Any:
        """The public key of certificate `serial`, downloading the certificates when it is unknown (at most once per
        CERTIFICATE_REFRESH_SECONDS); None when WeChat Pay has no such certificate."""
        number = _serial_number(serial)
        if number is None:
            return None
        with self._lock:
            if number in self._keys:
                return self._keys[number]
            if self._downloaded_at is not None and self._clock() - self._downloaded_at < CERTIFICATE_REFRESH_SECONDS:
                return None
            self._download()
            return self._keys.get(number)

    def pems(self) -> dict[str, str]:
        """serial (upper-case hex) -> certificate PEM, downloading them if not yet done."""
        with self._lock:
            if self._downloaded_at is None:
                self._download()
            return {format(number, "X"): pem for number, pem in self._pems.items()}

    def _download(self) -> None:
        import requests
        from cryptography import x509
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from wechatpayv3.utils import build_authorization

        self._downloaded_at = self._clock()
        self.downloads += 1
        path = "/v3/certificates"
        private_key = load_pem_private_key(self._private_key_pem.encode(), None)
        headers = {"Accept": "application/json", "User-Agent": "codelink",
                   "Authorization": build_authorization(path, "GET", self._mchid, self._cert_serial_no, private_key)}
        try:
            response = requests.get(self._gateway + path, headers=headers, timeout=self._timeout)
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(0, "NETWORK_ERROR", f"certificate download: {exc}") from exc
        if response.status_code != 200:
            raise _api_error(response.status_code, response.content)
        keys: dict[int, Any] = {}
        pems: dict[int, str] = {}
        now = datetime.now(timezone.utc)
        try:
            for item in json.loads(response.content)["data"]:
                sealed = item["encrypt_certificate"]
                pem = AESGCM(self._apiv3_key.encode()).decrypt(
                    sealed["nonce"].encode(), base64.b64decode(sealed["ciphertext"]),
                    (sealed.get("associated_data") or "").encode()).decode("ascii")
                certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
                if certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
                    keys[certificate.serial_number] = certificate.public_key()
                    pems[certificate.serial_number] = pem
        except (KeyError, TypeError, ValueError, InvalidTag) as exc:
            raise WeChatPayError(0, "BAD_RESPONSE", f"unreadable /v3/certificates answer: {exc}") from exc
        # The answer is signed like any other: by the platform public key, or by one of the certificates it carries.
        serial = response.headers.get("Wechatpay-Serial", "")
        number = _serial_number(serial)
        signer = self._public_key(serial) or (keys.get(number) if number is not None else None)
        if signer is None or not _verify(signer, response.headers, response.content):
            raise InvalidSignature(0, "RESPONSE_SIGNATURE_INVALID", "the /v3/certificates answer does not verify")
        self._keys, self._pems = keys, pems


def _verify(public_key: Any, headers: Mapping[str, str], body: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature as _BadSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    h = {k.lower(): v for k, v in headers.items()}
    message = f"{h.get('wechatpay-timestamp', '')}\n{h.get('wechatpay-nonce', '')}\n".encode() + body + b"\n"
    try:
        public_key.verify(base64.b64decode(h.get("wechatpay-signature", ""), validate=True), message,
                          padding.PKCS1v15(), hashes.SHA256())
    except (_BadSignature, binascii.Error, ValueError):
        return False
    return True


class WeChatPayGateway:
    """The merchant's side of WeChat Pay v3 for one mchid + mini-program appid (direct merchant mode)."""

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        cert_serial_no: str,
        private_key: str,
        apiv3_key: str,
        public_key: str,
        public_key_id: str,
        notify_url: str,
        gateway: str = "https://api.mch.weixin.qq.com",
        timeout: float | tuple[float, float] = (3.0, 10.0),
        transfer_scene_id: str = DEFAULT_TRANSFER_SCENE_ID,
        transfer_report_infos: Sequence[tuple[str, str]] = DEFAULT_TRANSFER_REPORT_INFOS,
        user_recv_perception: str | None = DEFAULT_USER_RECV_PERCEPTION,
    ) -> None:
        self.mchid = mchid
        self.appid = appid
        self.notify_url = notify_url
        self.gateway = gateway.rstrip("/")
        self._cert_serial_no = cert_serial_no
        self._private_key = _pem(private_key) if private_key else ""
        self._apiv3_key = apiv3_key
        self._public_key_pem = _pem(public_key) if public_key else ""
        self._public_key_id = public_key_id
        self._timeout = timeout
        self._transfer_scene_id = transfer_scene_id
        self._transfer_report_infos = tuple(transfer_report_infos)
        self._user_recv_perception = user_recv_perception
        self._lock = threading.Lock()
        self._pay: Any = None  # the wechatpayv3 client, built on first use
        self._platform_key: Any = None  # the platform public key (cryptography), loaded on first use
        self.certificates = PlatformCertificates(
            gateway=self.gateway, mchid=mchid, cert_serial_no=cert_serial_no, private_key_pem=self._private_key,
            apiv3_key=apiv3_key, timeout=timeout, public_key=self._public_key_for)

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatPayGateway:
        return cls(
            mchid=settings.wechatpay_mchid,
            appid=settings.wechatpay_appid,
            cert_serial_no=settings.wechatpay_cert_serial_no,
            private_key=settings.wechatpay_private_key,
            apiv3_key=settings.wechatpay_apiv3_key,
            public_key=settings.wechatpay_public_key,
            public_key_id=settings.wechatpay_public_key_id,
            notify_url=settings.notify_url,
            gateway=settings.wechatpay_gateway,
        )

    # --- the wechatpayv3 client (lazy) ---
    def _client(self) -> Any:
        with self._lock:
            if self._pay is None:
                if not self._private_key:
                    raise WeChatPayError(0, "CONFIG_ERROR", "the merchant private key is required (wechatpay_*)")
                from wechatpayv3 import WeChatPay, WeChatPayType  # lazy: heavy import, see module docstring

                mode: dict[str, Any] = {"public_key": self._public_key_pem, "public_key_id": self._public_key_id}
                if not self.public_key_mode:
                    mode = {"cert_dir": self._certificate_dir()}  # certificate mode, seeded by our own download
                try:
                    pay = WeChatPay(
                        wechatpay_type=WeChatPayType.MINIPROG,
                        mchid=self.mchid,
                        private_key=self._private_key,
                        cert_serial_no=self._cert_serial_no,
                        appid=self.appid,
                        apiv3_key=self._apiv3_key,
                        notify_url=self.notify_url,
                        timeout=self._timeout,
                        **mode,
                    )
                except Exception as exc:  # wechatpayv3 raises bare Exception for unreadable keys
                    raise WeChatPayError(0, "CONFIG_ERROR", str(exc)) from exc
                pay._core._gate_way = self.gateway  # no public way to set it in wechatpayv3 2.x
                self._pay = pay
            return self._pay

    @property
    def public_key_mode(self) -> bool:
        return bool(self._public_key_pem and self._public_key_id)

    def _certificate_dir(self) -> str:
        """A directory holding the platform certificates (PEM), for wechatpayv3 in certificate mode; /tmp is the
        only writable place in SCF."""
        import tempfile

        directory = Path(tempfile.gettempdir()) / f"codelink-wechatpay-{self.mchid}"
        directory.mkdir(parents=True, exist_ok=True)
        for serial, pem in self.certificates.pems().items():
            (directory / f"{serial}.pem").write_text(pem, encoding="ascii")
        return str(directory)

    def _call(self, method: str, **kwargs: Any) -> Any:
        """Call a wechatpayv3 method; return the body of a 2xx answer, raise WeChatPayError otherwise."""
        from shared.txguard import assert_outside_transaction  # never inside a transaction
        assert_outside_transaction(f"WeChat Pay {method}")
        client = self._client()
        import requests  # already loaded by wechatpayv3

        try:
            status, body = getattr(client, method)(**kwargs)
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(0, "NETWORK_ERROR", str(exc)) from exc
        except Exception as exc:  # wechatpayv3 raises bare Exception, for its own checks and bad signatures
            text = str(exc)
            if "verify the signature" in text or "does not support this algorithm" in text:
                raise InvalidSignature(0, "RESPONSE_SIGNATURE_INVALID", text) from exc
            raise WeChatPayError(0, "CLIENT_ERROR", text) from exc
        if not 200 <= status < 300:
            raise _api_error(status, body)
        return body

    # --- JSAPI / mini-program payments ---
    def create_jsapi_order(
        self,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        payer_openid: str,
        attach: str | None = None,
        time_expire: datetime | None = None,
    ) -> str:
        """Create (or, with the same parameters, find again) the prepaid order; returns its prepay_id."""
        if time_expire is not None and time_expire.tzinfo is None:
            raise ValueError("time_expire must be timezone-aware")
        expire = time_expire.astimezone(BEIJING).isoformat(timespec="seconds") if time_expire else None
        body = self._call(
            "pay",
            description=description,
            out_trade_no=out_trade_no,
            amount={"total": _fen(amount_fen, "amount_fen"), "currency": "CNY"},
            payer={"openid": payer_openid},
            attach=attach,
            time_expire=expire,
        )
        prepay_id = _json_object(body).get("prepay_id")
        if not prepay_id:
            raise WeChatPayError(0, "BAD_RESPONSE", "no prepay_id in the answer")
        return str(prepay_id)

    def mini_program_payment_params(self, prepay_id: str) -> dict[str, str]:
        """The arguments of wx.requestPayment: RSA-SHA256 over "appId\\ntimeStamp\\nnonceStr\\npackage\\n"."""
        timestamp = str(int(time.time()))
        nonce = uuid.uuid4().hex
        package = f"prepay_id={prepay_id}"
        pay_sign = self._client().sign([self.appid, timestamp, nonce, package])
        return {"timeStamp": timestamp, "nonceStr": nonce, "package": package, "signType": "RSA",
                "paySign": pay_sign}

    def query_order(self, out_trade_no: str) -> Order:
        return Order.from_resource(_json_object(self._call("query", out_trade_no=out_trade_no)))

    def close_order(self, out_trade_no: str) -> None:
        self._call("close", out_trade_no=out_trade_no)

    # --- refunds ---
    def refund(
        self,
        out_refund_no: str,
        out_trade_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str | None,
        notify_url: str | None = None,
    ) -> Refund:
        body = self._call(
            "refund",
            out_refund_no=out_refund_no,
            out_trade_no=out_trade_no,
            amount={"refund": _fen(refund_fen, "refund_fen"), "total": _fen(total_fen, "total_fen"),
                    "currency": "CNY"},
            reason=reason,
            notify_url=notify_url,
        )
        return Refund.from_resource(_json_object(body))

    def query_refund(self, out_refund_no: str) -> Refund:
        return Refund.from_resource(_json_object(self._call("query_refund", out_refund_no=out_refund_no)))

    # --- merchant transfers (payouts to a person's WeChat balance) ---
    def transfer(
        self,
        out_bill_no: str,
        openid: str,
        amount_fen: int,
        remark: str,
        user_name: str | None = None,
        notify_url: str | None = None,
    ) -> Transfer:
        """Start a transfer; it waits for the payee to confirm in the mini-program (WAIT_USER_CONFIRM, see
        `merchant_transfer_params`). `user_name` (the payee's real name, sent encrypted) is required from
        ¥2,000."""
        _fen(amount_fen, "amount_fen")
        if amount_fen >= REAL_NAME_THRESHOLD_FEN and not user_name:
            raise RealNameRequired(0, "USER_NAME_REQUIRED", "from ¥2,000 a transfer needs the payee's name")
        body = self._call(
            "mch_transfer_bills",
            out_bill_no=out_bill_no,
            transfer_scene_id=self._transfer_scene_id,
            openid=openid,
            transfer_amount=amount_fen,
            transfer_remark=remark,
            user_name=user_name,
            user_recv_perception=self._user_recv_perception,
            transfer_scene_report_infos=[
                {"info_type": info_type, "info_content": content}
                for info_type, content in self._transfer_report_infos
            ],
            notify_url=notify_url,
        )
        return Transfer.from_resource(_json_object(body))

    def merchant_transfer_params(self, package_info: str) -> dict[str, str]:
        """The arguments of wx.requestMerchantTransfer for a WAIT_USER_CONFIRM transfer."""
        return {"mchId": self.mchid, "appId": self.appid, "package": package_info}

    def query_transfer(self, out_bill_no: str) -> Transfer:
        body = self._call("mch_transfer_bills_query", out_bill_no=out_bill_no)
        return Transfer.from_resource(_json_object(body))

    def cancel_transfer(self, out_bill_no: str) -> Transfer:
        """Cancel a transfer the payee has not confirmed yet (answer: CANCELING, then CANCELLED)."""
        body = self._call("mch_transfer_bills_cancel", out_bill_no=out_bill_no)
        return Transfer.from_resource(_json_object(body))

    # --- reconciliation ---
    def trade_bill(self, bill_date: date | str, bill_type: str = "ALL") -> list[TradeBillRow]:
        """The day's trade bill (Beijing-time day), downloaded, hash-checked and parsed; [] for a day without
        trades (WeChat has no file then). BillNotReady while WeChat Pay is still making it."""
        day = bill_date.isoformat() if isinstance(bill_date, date) else bill_date
        raw = self._bill("trade_bill", bill_date=day, bill_type=bill_type, tar_type="GZIP")
        return parse_trade_bill(raw) if raw is not None else []

    def fund_flow_bill(self, bill_date: date | str, account_type: str = "BASIC") -> list[FundFlowRow]:
        """The day's fund-flow bill (资金账单) of one account, as trade_bill."""
        day = bill_date.isoformat() if isinstance(bill_date, date) else bill_date
        raw = self._bill("fundflow_bill", bill_date=day, account_type=account_type, tar_type="GZIP")
        return parse_fund_flow_bill(raw) if raw is not None else []

    def _bill(self, method: str, **params: str) -> bytes | None:
        """Ask for a bill, download and hash-check it; None when the day has none (NO_STATEMENT_EXIST)."""
        try:
            info = _json_object(self._call(method, **params))
        except WeChatPayError as exc:
            if exc.code == "NO_STATEMENT_EXIST":
                return None
            if exc.code == "STATEMENT_CREATING":
                raise BillNotReady(exc.status, exc.code, exc.message) from exc
            raise
        url = str(info.get("download_url") or "")
        # wechatpayv3 signs the path after the gateway; a URL elsewhere would be requested wrongly.
        if not url.startswith(self.gateway + "/"):
            raise WeChatPayError(0, "BAD_RESPONSE", f"download_url outside the gateway: {url!r}")
        content = self._call("download_bill", url=url)
        if not isinstance(content, bytes):
            raise WeChatPayError(0, "BAD_RESPONSE", "the bill download answered JSON, not a file")
        raw = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
        # The download is not signed; the hash from the signed answer is what vouches for the file.
        if str(info.get("hash_type", "")).upper() != "SHA1":
            raise WeChatPayError(0, "BAD_RESPONSE", f"unsupported hash_type {info.get('hash_type')!r}")
        digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
        if not hmac.compare_digest(digest, str(info.get("hash_value", "")).lower()):
            raise WeChatPayError(0, "BILL_HASH_MISMATCH", "the downloaded bill does not match its hash")
        return raw

    # --- notifications ---
    def parse_notification(
        self, headers: Mapping[str, str], body: bytes | str, now: datetime
    ) -> Notification:
        """Verify and decrypt a notification POSTed by WeChat Pay. `body` must be the raw request body.

        Raises UnknownSerial / InvalidSignature (answer 401), StaleNotification, DecryptError,
        MalformedNotification. Answer 2xx only after the notification is stored or handled: WeChat retries
        otherwise, and sends duplicates anyway (handle by `id` / business number idempotently)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        h = {k.lower(): v for k, v in headers.items()}
        timestamp, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
        signature, serial = h.get("wechatpay-signature", ""), h.get("wechatpay-serial", "")
        if not (timestamp and nonce and signature and serial):
            raise InvalidSignature(401, "SIGN_ERROR", "Wechatpay-Timestamp/-Nonce/-Signature/-Serial missing")
        if h.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise InvalidSignature(401, "SIGN_ERROR", f"unsupported {h['wechatpay-signature-type']!r}")
        # The serial chooses the key: the platform public key's id, or a platform certificate's serial.
        key = self._public_key_for(serial) or self.certificates.key(serial)
        if key is None:
            raise UnknownSerial(401, "UNKNOWN_SERIAL", f"unknown Wechatpay-Serial {serial[:64]!r}")
        # WeChat's signature probes ("WECHATPAY/SIGNTEST/...") are not base64 and fail here too.
        if not _verify(key, h, raw):
            raise InvalidSignature(401, "SIGN_ERROR", "signature does not verify")
        try:
            sent_at = int(timestamp)
        except ValueError as exc:
            raise InvalidSignature(401, "SIGN_ERROR", "Wechatpay-Timestamp is not a number") from exc
        if abs(now.timestamp() - sent_at) > NOTIFICATION_MAX_AGE.total_seconds():
            raise StaleNotification(401, "STALE_NOTIFICATION", f"timestamp {sent_at} is over 5 minutes away")
        return self._decrypt_envelope(raw)

    def _public_key_for(self, serial: str) -> Any:
        """The platform public key when `serial` is its id (public key mode), else None."""
        if self._public_key_id and hmac.compare_digest(serial.encode(), self._public_key_id.encode()):
            return self._platform_public_key()
        return None

    def _platform_public_key(self) -> Any:
        with self._lock:
            if self._platform_key is None:
                if not self._public_key_pem:
                    raise WeChatPayError(0, "CONFIG_ERROR", "wechatpay_public_key is unset")
                from cryptography.hazmat.primitives.serialization import load_pem_public_key

                pem = self._public_key_pem
                if not pem.startswith("-----BEGIN"):  # the bare base64 body, as WeChat's site shows it
                    pem = f"-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----"
                self._platform_key = load_pem_public_key(pem.encode("ascii"))
            return self._platform_key

    def _decrypt_envelope(self, raw: bytes) -> Notification:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            envelope = json.loads(raw)
            resource = envelope["resource"]
            fields = (resource["nonce"], resource["ciphertext"], resource.get("associated_data") or "")
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedNotification(400, "MALFORMED", "not a WeChat Pay notification envelope") from exc
        encrypted = envelope.get("resource_type") == "encrypt-resource"
        if not encrypted or resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise MalformedNotification(400, "MALFORMED", "resource is not AEAD_AES_256_GCM encrypted")
        nonce, ciphertext, associated_data = fields
        try:
            plaintext = AESGCM(self._apiv3_key.encode()).decrypt(
                nonce.encode(), base64.b64decode(ciphertext, validate=True), associated_data.encode()
            )
            data = json.loads(plaintext)
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise DecryptError(400, "DECRYPT_ERROR", "resource does not decrypt with the APIv3 key") from exc
        if not isinstance(data, dict):
            raise DecryptError(400, "DECRYPT_ERROR", "decrypted resource is not a JSON object")
        notification_id = envelope.get("id")
        if not isinstance(notification_id, str) or not notification_id.strip():
            # Duplicates are recognised by this id: without one, a notification would be taken for a duplicate of
            # every other id-less one (or none would be), so it is refused like any malformed envelope.
            raise MalformedNotification(400, "MALFORMED", "notification without an id")
        return Notification(
            id=notification_id,
            event_type=str(envelope.get("event_type", "")),
            create_time=_parse_time(envelope.get("create_time")),
            resource_type=envelope["resource_type"],
            summary=str(envelope.get("summary", "")),
            original_type=str(resource.get("original_type", "")),
            resource=data,
        )


# --------------------------------------------------------------------------------------------------- bills

# Columns are looked up by name: WeChat says their order may change, and SUCCESS bills lack refund columns.
_REQUIRED_BILL_COLUMNS = ("交易时间", "商户订单号", "交易状态", "应结订单金额")


def _yuan_to_fen(text: str, column: str, exact: bool = True) -> int:
    try:
        fen = Decimal(text or "0") * 100
    except InvalidOperation as exc:
        raise WeChatPayError(0, "BILL_FORMAT", f"{column}: not an amount: {text!r}") from exc
    if fen != fen.to_integral_value():
        if exact:
            raise WeChatPayError(0, "BILL_FORMAT", f"{column}: {text!r} is not a whole number of fen")
        fen = fen.quantize(Decimal(1), rounding=ROUND_HALF_UP)  # a fee may be computed below the fen
    return int(fen)


def _bill_fields(line: str) -> list[str]:
    # Every field starts with a backtick and fields are joined by commas without quoting; splitting on ",`"
    # keeps a comma inside a product name in its field.
    if not line.startswith("`"):
        raise WeChatPayError(0, "BILL_FORMAT", f"line without backtick prefix: {line[:80]!r}")
    return line[1:].split(",`")


_FUND_FLOW_COLUMNS = ("记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型",
                      "收支金额（元）", "账户结余（元）", "业务凭证号")


def _bill_sections(content: bytes, required: Sequence[str], summary_title: str
                   ) -> tuple[list[str], dict[str, int], list[list[str]], list[str]]:
    """A bill file's (header, column index, detail lines' fields, summary fields): a header line, detail lines with
    backtick-prefixed fields, a summary title line and the summary line. Brackets in names are made full-width
    (both forms occur in published bills: 收支金额（元） and 收支金额(元))."""
    lines = [line for line in content.decode("utf-8-sig").splitlines() if line.strip()]
    if not lines:
        raise WeChatPayError(0, "BILL_FORMAT", "empty bill")
    header = [name.strip().lstrip("\ufeff").replace("(", "（").replace(")", "）") for name in lines[0].split(",")]
    index = {name: i for i, name in enumerate(header)}
    missing = [c for c in required if c not in index]
    if missing:
        raise WeChatPayError(0, "BILL_FORMAT", f"missing columns {missing}")
    summary_at = next((i for i, line in enumerate(lines) if line.startswith(summary_title)), None)
    if summary_at is None or summary_at + 1 >= len(lines):
        raise WeChatPayError(0, "BILL_FORMAT", "no summary lines")
    details = []
    for line in lines[1:summary_at]:
        values = _bill_fields(line)
        if len(values) != len(header):
            raise WeChatPayError(0, "BILL_FORMAT", f"{len(values)} fields, header has {len(header)}")
        details.append(values)
    return header, index, details, _bill_fields(lines[summary_at + 1])


def parse_fund_flow_bill(content: bytes) -> list[FundFlowRow]:
    """Parse a fund-flow bill file (header, lines with backtick-prefixed fields, a summary header and line)."""
    _, index, details, summary = _bill_sections(content, _FUND_FLOW_COLUMNS, "资金流水总笔数")
    rows = []
    for values in details:
        get = {name: values[i] for name, i in index.items()}
        direction = get["收支类型"]
        if direction not in ("收入", "支出"):
            raise WeChatPayError(0, "BILL_FORMAT", f"收支类型 {direction!r}")
        rows.append(FundFlowRow(
            booked_at=datetime.strptime(get["记账时间"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING),
            wechatpay_no=get["微信支付业务单号"], flow_no=get["资金流水单号"], business_name=get["业务名称"],
            business_type=get["业务类型"], income=direction == "收入",
            amount_fen=abs(_yuan_to_fen(get["收支金额（元）"], "收支金额")),
            balance_fen=_yuan_to_fen(get["账户结余（元）"], "账户结余"), voucher_no=get["业务凭证号"],
        ))
    try:
        counted = int(Decimal(summary[0]))  # "20.0" occurs as well as "20"
    except InvalidOperation as exc:
        raise WeChatPayError(0, "BILL_FORMAT", f"summary count {summary[0]!r}") from exc
    if counted != len(rows):
        raise WeChatPayError(0, "BILL_FORMAT", f"summary counts {summary[0]!r} lines, bill has {len(rows)}")
    return rows


def parse_trade_bill(content: bytes) -> list[TradeBillRow]:
    """Parse a trade bill file (the CSV WeChat Pay serves, already un-gzipped)."""
    _, index, details, summary = _bill_sections(content, _REQUIRED_BILL_COLUMNS, "总交易单数")
    rows = []
    for values in details:

        def get(column: str, values: list[str] = values) -> str:
            return values[index[column]] if column in index else ""

        def optional(column: str) -> str | None:
            value = get(column)
            return None if value in ("", "0") else value

        rows.append(TradeBillRow(
            trade_time=datetime.strptime(get("交易时间"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING),
            appid=get("公众账号ID"),
            mchid=get("商户号"),
            transaction_id=get("微信订单号"),
            out_trade_no=get("商户订单号"),
            openid=get("用户标识"),
            trade_type=get("交易类型"),
            trade_state=get("交易状态"),
            bank_type=get("付款银行"),
            currency=get("货币种类"),
            settlement_total_fen=_yuan_to_fen(get("应结订单金额"), "应结订单金额"),
            coupon_fen=_yuan_to_fen(get("代金券金额"), "代金券金额"),
            refund_id=optional("微信退款单号"),
            out_refund_no=optional("商户退款单号"),
            refund_fen=_yuan_to_fen(get("退款金额"), "退款金额"),
            recharge_coupon_refund_fen=_yuan_to_fen(get("充值券退款金额"), "充值券退款金额"),
            refund_type=get("退款类型") or None,
            refund_status=get("退款状态") or None,
            description=get("商品名称"),
            attach=get("商户数据包"),
            fee_fen=_yuan_to_fen(get("手续费"), "手续费", exact=False),
            fee_rate=get("费率"),
            total_fen=_yuan_to_fen(get("订单金额"), "订单金额"),
            requested_refund_fen=_yuan_to_fen(get("申请退款金额"), "申请退款金额"),
            fee_remark=get("费率备注"),
        ))
    if not summary[0].isdigit() or int(summary[0]) != len(rows):
        raise WeChatPayError(0, "BILL_FORMAT", f"summary counts {summary[0]!r} lines, bill has {len(rows)}")
    return rows
