"""The WeChat Pay adapter's tests (test_wechatpay_gateway.py, test_wechatpay_modes.py): the merchant's notify endpoint
as a loopback server, a WeChatPayGateway pointed at a FakeWeChatPay, and the fixtures both use — bound by name in a
test module: `keys, receiver = wx.keys, wx.receiver` after `from tests.support import wechatpay as wx`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from infra.fakes.base import FakeRequest, FakeResponse, FakeServer
from infra.fakes.wechatpay import FakeWeChatPay, WeChatPayTestKeys, generate_keys
from shared.adapters.wechatpay import WeChatPayGateway


class NotifyReceiver(FakeServer):
    """The merchant's notify endpoint: records every POST and answers the queued statuses (then 204)."""

    name = "notify-receiver"

    def __init__(self) -> None:
        super().__init__()
        self.received: list[FakeRequest] = []
        self.statuses: list[int] = []

    def handle(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            self.received.append(request)
            status = self.statuses.pop(0) if self.statuses else 204
        if status < 300:
            return FakeResponse(status)
        return FakeResponse.json({"code": "FAIL", "message": "失败"}, status)

    @property
    def url(self) -> str:
        return self.base_url + "/payments/notify"

    def bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(r.body) for r in self.received]


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def keys() -> WeChatPayTestKeys:
    return generate_keys()


@pytest.fixture
def receiver() -> Iterator[NotifyReceiver]:
    server = NotifyReceiver()
    server.start()
    yield server
    server.stop()


def make_gateway(
    fake: FakeWeChatPay, keys: WeChatPayTestKeys, notify_url: str, **overrides: Any
) -> WeChatPayGateway:
    args: dict[str, Any] = {
        "mchid": fake.mchid,
        "appid": fake.appid,
        "cert_serial_no": keys.merchant_serial,
        "private_key": keys.merchant_private_pem,
        "apiv3_key": fake.apiv3_key,
        "public_key": keys.platform_public_pem,
        "public_key_id": keys.platform_public_key_id,
        "notify_url": notify_url,
        "gateway": fake.base_url,
    }
    return WeChatPayGateway(**{**args, **overrides})
