"""Fake Tencent Cloud SMS (API 3.0, `SendSms` version 2021-01-11) for tests and local runs.

`tencentcloud-sdk-python-sms`'s `SmsClient` talks to it unchanged once its `HttpProfile` points at
`127.0.0.1:PORT` over http. Requests must carry a valid TC3 signature made with the secret key given here.

Controls (not in the real API):
  GET /_fake/sms/messages?phone=+86...   -> {"messages": [...]} (all messages when phone is omitted)
Python: `messages(phone)`, `last_code(phone)`, `clear()`.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping

from infra.fakes.base import FakeRequest, FakeResponse
from infra.fakes.tc3 import Tc3Error, Tc3FakeServer, require_str

log = logging.getLogger("codelink.fakes.sms")

# Tencent's stock verification-code template; {1}, {2}... are TemplateParamSet entries.
DEFAULT_TEMPLATE = "您的验证码为：{1}，请于{2}分钟内填写。如非本人操作，请忽略本短信。"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CN_MOBILE = re.compile(r"^\+861[3-9]\d{9}$")
_TEMPLATE_VAR = re.compile(r"\{(\d+)\}")
# A few calling codes -> ISO country, for the IsoCode the real API answers with.
_ISO_BY_PREFIX = {"+86": "CN", "+852": "HK", "+853": "MO", "+886": "TW", "+1": "US", "+44": "GB", "+65": "SG"}
MAX_NUMBERS_PER_REQUEST = 200
SMS_REGIONS = ("ap-guangzhou", "ap-beijing", "ap-nanjing")


class FakeTencentSms(Tc3FakeServer):
    name = "fake-tencent-sms"
    service = "sms"
    version = "2021-01-11"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        *,
        token: str | None = None,
        sdk_app_id: str = "1400000000",
        sign_name: str = "CodeLink",
        templates: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`templates`: approved TemplateId -> text with {1}, {2}...; default "100001" -> a code template."""
        super().__init__(secret_id, secret_key, token=token, host=host, port=port, clock=clock)
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates: dict[str, str] = dict(templates or {"100001": DEFAULT_TEMPLATE})
        self._messages: list[dict] = []
        self.actions["SendSms"] = self._send_sms

    # --- the API ---
    def _send_sms(self, params: dict, request: FakeRequest) -> dict:
        region = request.headers.get("x-tc-region", "")
        if region not in SMS_REGIONS:
            # SMS is served in three regions only; a client left on the functions' region (ap-shanghai...) fails.
            raise Tc3Error("UnsupportedRegion", f"SendSms does not support region `{region}`.")
        app_id = require_str(params, "SmsSdkAppId")
        template_id = require_str(params, "TemplateId")
        phones = params.get("PhoneNumberSet")
        if not phones:
            raise Tc3Error("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty.")
        if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
            raise Tc3Error("InvalidParameter", "PhoneNumberSet must be an array of strings.")
        if len(phones) > MAX_NUMBERS_PER_REQUEST:
            raise Tc3Error("LimitExceeded.PhoneNumberCountLimit", "At most 200 phone numbers per request.")
        if app_id != self.sdk_app_id:
            raise Tc3Error(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
                f"SmsSdkAppId {app_id} does not belong to the account of this SecretId.",
            )
        # A domestic (Chinese mainland) SMS must carry an approved signature.
        sign_name = params.get("SignName") or ""
        if sign_name != self.sign_name:
            raise Tc3Error(
                "FailedOperation.SignatureIncorrectOrUnapproved", f"Signature `{sign_name}` is not approved."
            )
        template = self.templates.get(template_id)
        if template is None:
            raise Tc3Error(
                "FailedOperation.TemplateIncorrectOrUnapproved", f"Template {template_id} is not approved."
            )
        template_params = params.get("TemplateParamSet") or []
        if not isinstance(template_params, list) or not all(isinstance(p, str) for p in template_params):
            raise Tc3Error("InvalidParameter", "TemplateParamSet must be an array of strings.")
        variables = {int(n) for n in _TEMPLATE_VAR.findall(template)}
        if len(template_params) != len(variables):
            raise Tc3Error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                f"Template {template_id} has {len(variables)} variable(s), "
                f"got {len(template_params)} parameter(s).",
            )
        # Like the real service: a verification-code template (its text says 验证码) takes a 0-6 digit code.
        if "验证码" in template and template_params and not re.fullmatch(r"\d{0,6}", template_params[0]):
            raise Tc3Error(
                "InvalidParameterValue.TemplateParameterFormatError",
                "A verification-code template variable must be a number of at most 6 digits.",
            )
        text = f"【{sign_name}】" + _TEMPLATE_VAR.sub(
            lambda m: template_params[int(m.group(1)) - 1], template
        )

        session_context = params.get("SessionContext") or ""
        statuses = []
        for phone in phones:
            if not (_E164.match(phone) and (not phone.startswith("+86") or _CN_MOBILE.match(phone))):
                # Per-number failures are reported in SendStatusSet, not as a request error.
                statuses.append(
                    self._status(
                        phone,
                        "InvalidParameterValue.IncorrectPhoneNumber",
                        "incorrect phone number",
                        session_context,
                        fee=0,
                    )
                )
                continue
            status = self._status(phone, "Ok", "send success", session_context, fee=1)
            statuses.append(status)
            with self.lock:
                self._messages.append(
                    {
                        "phone": phone,
                        "text": text,
                        "sign_name": sign_name,
                        "template_id": template_id,
                        "params": list(template_params),
                        "serial_no": status["SerialNo"],
                        "session_context": session_context,
                        "region": region,
                        "sent_at": self.clock(),
                    }
                )
            log.info("SMS to %s: %s", phone, text)
        return {"SendStatusSet": statuses}

    def _status(self, phone: str, code: str, message: str, session_context: str, *, fee: int) -> dict:
        iso = next(
            (
                iso
                for prefix, iso in sorted(_ISO_BY_PREFIX.items(), key=lambda kv: -len(kv[0]))
                if phone.startswith(prefix)
            ),
            "",
        )
        return {
            "SerialNo": f"2640:{secrets.randbelow(10**20):020d}" if code == "Ok" else "",
            "PhoneNumber": phone,
            "Fee": fee,
            "SessionContext": session_context,
            "Code": code,
            "Message": message,
            "IsoCode": iso,
        }

    # --- controls ---
    def handle_control(self, request: FakeRequest) -> FakeResponse:
        if request.method == "GET" and request.path == "/_fake/sms/messages":
            return FakeResponse.json({"messages": self.messages(request.query.get("phone") or None)})
        return FakeResponse.json({"error": "not found"}, 404)

    def messages(self, phone: str | None = None) -> list[dict]:
        """Messages sent so far, oldest first; only those to `phone` (E.164) when given."""
        with self.lock:
            return [dict(m) for m in self._messages if phone is None or m["phone"] == phone]

    def last_code(self, phone: str) -> str | None:
        """The first template parameter (the verification code) of the latest message to `phone`."""
        sent = self.messages(phone)
        return sent[-1]["params"][0] if sent and sent[-1]["params"] else None

    def clear(self) -> None:
        with self.lock:
            self._messages.clear()
