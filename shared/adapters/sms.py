"""Verification-code SMS through Tencent Cloud SMS (`tencentcloud-sdk-python-sms`, API version 2021-01-11).

The SDK is imported lazily, when the first SMS is sent, to keep it out of every function's cold start.
Tests and local runs point `endpoint`/`protocol` at `infra/fakes/tencent_sms.py` ("127.0.0.1:PORT", "http").
"""

from __future__ import annotations

import logging
from typing import Any

from shared.adapters.tencent import RoleCredential

log = logging.getLogger("codelink.sms")


class SmsError(Exception):
    """Tencent Cloud refused the SMS (`code` is its error or SendStatus code) or could not be reached."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"SMS error {code}: {message}")
        self.code = code
        self.message = message


class SmsSender:
    def __init__(
        self,
        credential: RoleCredential,
        *,
        endpoint: str = "sms.tencentcloudapi.com",
        protocol: str = "https",
        region: str = "ap-guangzhou",
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        timeout: int = 10,
    ) -> None:
        self._credential = credential
        self.endpoint = endpoint
        self.protocol = protocol
        self.region = region
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.timeout = timeout
        self._client_instance: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> SmsSender:
        return cls(
            RoleCredential.from_settings(settings),
            endpoint=settings.sms_endpoint,
            protocol=settings.sms_protocol,
            region=settings.sms_region,  # SMS's own region, not the functions' (SMS serves only three)
            sdk_app_id=settings.sms_sdk_app_id,
            sign_name=settings.sms_sign_name,
            template_id=settings.sms_template_id,
        )

    def _client(self) -> Any:
        if self._client_instance is None:
            from shared.adapters.tencent import tencent_client

            self._client_instance = tencent_client(
                "tencentcloud.sms.v20210111.sms_client:SmsClient", credential=self._credential, region=self.region,
                endpoint=self.endpoint, protocol=self.protocol, timeout=self.timeout)
        return self._client_instance

    def send_code(self, phone_e164: str, code: str, minutes: int) -> None:
        """Send the verification-code template ({1} = code, {2} = minutes) to one E.164 number."""
        from shared.txguard import assert_outside_transaction  # never inside a transaction
        assert_outside_transaction("Tencent SMS SendSms")
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone_e164]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id
        request.TemplateParamSet = [code, str(minutes)]
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsError(str(exc.code), str(exc.message)) from exc
        # A request can succeed while the number fails (bad number, rate limit): that is in SendStatusSet.
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError("EmptySendStatusSet", f"no send status returned (RequestId {response.RequestId})")
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsError(str(status.Code), str(status.Message))
        log.info("SMS code sent to %s (serial %s)", _mask(phone_e164), status.SerialNo)


def _mask(phone: str) -> str:
    """+8613812345678 -> +86138****5678: phone numbers are personal data, keep them out of logs."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
