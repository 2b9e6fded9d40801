"""WeChat Pay notifications verified in platform-certificate mode as well as platform-public-key mode, the key chosen
by the Wechatpay-Serial each message carries — merchants migrate from one mode to the other and receive both
meanwhile. Against FakeWeChatPay, whose certificate key is another key pair than its platform public key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.fakes.wechatpay import FakeWeChatPay, WeChatPayTestKeys
from shared.adapters import wechatpay as adapter
from shared.adapters.wechatpay import InvalidSignature, Order, UnknownSerial, WeChatPayGateway
from tests.support import wechatpay as wx
from tests.support.db import wait_until
from tests.support.wechatpay import NotifyReceiver, make_gateway, now

keys, receiver = wx.keys, wx.receiver  # tests/support/wechatpay.py


@pytest.fixture
def fake(keys: WeChatPayTestKeys) -> Iterator[FakeWeChatPay]:
    server = FakeWeChatPay(keys, retry_schedule=[0.05], refund_delay=None)
    server.start()
    yield server
    server.stop()


def certificate_mode(fake: FakeWeChatPay, keys: WeChatPayTestKeys, notify_url: str) -> WeChatPayGateway:
    """A merchant without a platform public key configured."""
    return make_gateway(fake, keys, notify_url, public_key="", public_key_id="")


def paid_notification(gateway: WeChatPayGateway, fake: FakeWeChatPay, receiver: NotifyReceiver,
                      out_trade_no: str) -> Any:
    gateway.create_jsapi_order(out_trade_no, "任务托管", 1_000, "o-payer")
    fake.pay(out_trade_no)
    return wait_until(lambda: next((r for r in receiver.received
                                    if json.loads(r.body).get("event_type") == "TRANSACTION.SUCCESS"
                                    and r not in getattr(receiver, "seen", [])), None))


def test_certificate_mode_end_to_end(fake: FakeWeChatPay, keys: WeChatPayTestKeys, receiver: NotifyReceiver) -> None:
    """No public key: the client is built from the downloaded certificates, answers and notifications verify."""
    fake.signing = "certificate"
    gateway = certificate_mode(fake, keys, receiver.url)
    delivered = paid_notification(gateway, fake, receiver, "T20261125100")
    assert delivered.headers["wechatpay-serial"] == fake.certificate_serial
    notification = gateway.parse_notification(delivered.headers, delivered.body, now())
    assert Order.from_resource(notification.resource).state == "SUCCESS"
    assert gateway.query_order("T20261125100").state == "SUCCESS"  # answers verified by wechatpayv3 with the cert


def test_a_migrating_merchant_verifies_both_by_serial(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                      receiver: NotifyReceiver) -> None:
    gateway = make_gateway(fake, keys, receiver.url)  # public key configured
    first = paid_notification(gateway, fake, receiver, "T20261125110")
    assert first.headers["wechatpay-serial"] == keys.platform_public_key_id
    assert gateway.parse_notification(first.headers, first.body, now()).event_type == "TRANSACTION.SUCCESS"
    assert gateway.certificates.downloads == 0  # the public key sufficed

    receiver.seen = list(receiver.received)  # type: ignore[attr-defined]
    fake.signing = "certificate"  # WeChat Pay now signs with the certificate
    second = paid_notification(gateway, fake, receiver, "T20261125111")
    assert second.headers["wechatpay-serial"] == fake.certificate_serial
    assert gateway.parse_notification(second.headers, second.body, now()).event_type == "TRANSACTION.SUCCESS"
    assert gateway.certificates.downloads == 1
    # Both kinds keep verifying, without further downloads.
    assert gateway.parse_notification(first.headers, first.body, now())
    assert gateway.parse_notification(second.headers, second.body, now())
    assert gateway.certificates.downloads == 1


def test_the_serial_must_match_the_key_that_signed(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                   receiver: NotifyReceiver) -> None:
    gateway = make_gateway(fake, keys, receiver.url)
    fake.signing = "certificate"
    delivered = paid_notification(gateway, fake, receiver, "T20261125120")
    # Signed with the certificate's key but claiming the public key's id: refused.
    forged = {**delivered.headers, "wechatpay-serial": keys.platform_public_key_id}
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(forged, delivered.body, now())
    # Signed by the public key, claiming the certificate: refused.
    fake.signing = "public_key"
    body = delivered.body
    claimed = {**{k.lower(): v for k, v in fake.sign(body).items()}, "wechatpay-serial": fake.certificate_serial}
    with pytest.raises(InvalidSignature) as refused:
        gateway.parse_notification(claimed, body, now())
    assert not isinstance(refused.value, UnknownSerial)  # the certificate is known; the signature is wrong


def test_certificate_mode_refuses_a_public_key_signature(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                         receiver: NotifyReceiver) -> None:
    gateway = certificate_mode(fake, keys, receiver.url)
    body = b'{"id":"x"}'
    headers = {k.lower(): v for k, v in fake.sign(body).items()}  # public key mode: serial PUB_KEY_ID_...
    with pytest.raises(UnknownSerial):
        gateway.parse_notification(headers, body, now())


def test_unknown_serials_download_at_most_once_a_minute(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                        receiver: NotifyReceiver,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    gateway = make_gateway(fake, keys, receiver.url)
    gateway.certificates._clock = lambda: clock[0]
    body = b'{"id":"x"}'
    headers = {k.lower(): v for k, v in fake.sign(body).items()}
    for serial in ("0123ABCD", "0123ABCE", "not-hex!", "FFFF"):
        with pytest.raises(UnknownSerial):
            gateway.parse_notification({**headers, "wechatpay-serial": serial}, body, now())
    assert fake.certificate_downloads == 1 and gateway.certificates.downloads == 1
    clock[0] += adapter.CERTIFICATE_REFRESH_SECONDS + 1
    with pytest.raises(UnknownSerial):
        gateway.parse_notification({**headers, "wechatpay-serial": "0123ABCF"}, body, now())
    assert fake.certificate_downloads == 2


def test_a_tampered_certificate_list_is_refused(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                receiver: NotifyReceiver) -> None:
    """The list must decrypt with our APIv3 key: a list sealed with another key is not WeChat Pay's."""
    gateway = make_gateway(fake, keys, receiver.url, apiv3_key="f" * 32, public_key="", public_key_id="")
    fake.signing = "certificate"
    body = b'{"id":"x"}'
    headers = {k.lower(): v for k, v in fake.sign(body).items()}
    with pytest.raises(adapter.WeChatPayError, match="unreadable"):
        gateway.parse_notification(headers, body, now())


def test_platform_settles_a_payment_notified_in_certificate_mode(world, platform) -> None:
    """End to end: the platform (public key configured) gets WeChat Pay's certificate-signed notification over HTTP,
    downloads the certificate, verifies, and opens the task."""
    from shared.adapters import clients

    pay_fake: FakeWeChatPay = platform.fakes["wechatpay"]
    pay_fake.signing = "certificate"
    try:
        task = world.open_task(world.merchant())  # funds through the real webhook, waits for it
    finally:
        pay_fake.signing = "public_key"
        wait_until(lambda: all(n["delivered"] or n["gave_up"] for n in pay_fake.notifications()), timeout=8)
    assert task["status"] == "open"
    assert clients.wechatpay().certificates.downloads >= 1
