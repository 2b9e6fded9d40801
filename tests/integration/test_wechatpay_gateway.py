"""WeChatPayGateway (wechatpayv3) end to end against FakeWeChatPay on 127.0.0.1: signatures, encryption,
notifications and their retries, refunds, merchant transfers, trade bills."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from infra.fakes.base import FakeRequest
from infra.fakes.wechatpay import (
    BEIJING,
    FakeStateError,
    FakeWeChatPay,
    WeChatPayTestKeys,
    generate_keys,
    load_or_generate_keys,
)
from shared.adapters.wechatpay import (
    DecryptError,
    InvalidSignature,
    NotFound,
    Order,
    RealNameRequired,
    Refund,
    StaleNotification,
    Transfer,
    UnknownSerial,
    WeChatPayError,
    WeChatPayGateway,
    parse_trade_bill,
)
from tests.support import wechatpay as wx
from tests.support.db import wait_until
from tests.support.wechatpay import NotifyReceiver, make_gateway, now

FAST_RETRIES = [0.05, 0.05, 0.05]


# --------------------------------------------------------------------------------------------------- fixtures

keys, receiver = wx.keys, wx.receiver  # tests/support/wechatpay.py


@pytest.fixture
def fake(keys: WeChatPayTestKeys) -> Iterator[FakeWeChatPay]:
    server = FakeWeChatPay(keys, retry_schedule=FAST_RETRIES, refund_delay=0.05)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway(fake: FakeWeChatPay, keys: WeChatPayTestKeys, receiver: NotifyReceiver) -> WeChatPayGateway:
    return make_gateway(fake, keys, receiver.url)


def _control(fake: FakeWeChatPay, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        fake.base_url + path,
        json.dumps(body).encode() if body is not None else None,
        {"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def paid_order(gateway: WeChatPayGateway, fake: FakeWeChatPay, out_trade_no: str, amount_fen: int) -> None:
    gateway.create_jsapi_order(out_trade_no, "任务托管", amount_fen, "o-payer")
    fake.pay(out_trade_no)


# --------------------------------------------------------------------------------------------------- payments


def test_order_create_pay_notify_and_query(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                           receiver: NotifyReceiver) -> None:
    expire = datetime.now(BEIJING) + timedelta(hours=2)
    prepay_id = gateway.create_jsapi_order("T20261125001", "任务托管: 接口开发", 12_345, "o-payer",
                                           attach="task:42", time_expire=expire)
    assert prepay_id.startswith("wx")
    # Same out_trade_no and parameters: the same prepaid order (safe to retry after a timeout).
    assert gateway.create_jsapi_order("T20261125001", "任务托管: 接口开发", 12_345, "o-payer",
                                      attach="task:42", time_expire=expire) == prepay_id
    with pytest.raises(WeChatPayError) as changed:
        gateway.create_jsapi_order("T20261125001", "任务托管: 接口开发", 99_999, "o-payer")
    assert (changed.value.status, changed.value.code) == (403, "OUT_TRADE_NO_USED")

    order = gateway.query_order("T20261125001")
    assert (order.state, order.amount_fen, order.transaction_id) == ("NOTPAY", 12_345, None)

    status, _ = _control(fake, "/_fake/wechatpay/pay", {"out_trade_no": "T20261125001"})
    assert status == 200
    wait_until(lambda: receiver.received)
    request = receiver.received[0]
    notification = gateway.parse_notification(request.headers, request.body, now())
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.resource_type == "encrypt-resource"
    paid = Order.from_resource(notification.resource)
    assert (paid.out_trade_no, paid.state, paid.amount_fen) == ("T20261125001", "SUCCESS", 12_345)
    assert paid.attach == "task:42"
    assert paid.payer_openid == "o-payer"

    queried = gateway.query_order("T20261125001")
    assert queried.state == "SUCCESS"
    assert queried.transaction_id == paid.transaction_id and queried.transaction_id
    assert queried.success_time is not None and queried.success_time.tzinfo is not None
    wait_until(lambda: fake.notifications()[0]["delivered"])

    with pytest.raises(WeChatPayError) as again:  # a paid order cannot be created again
        gateway.create_jsapi_order("T20261125001", "任务托管: 接口开发", 12_345, "o-payer",
                                   attach="task:42", time_expire=expire)
    assert again.value.code == "ORDERPAID"


def test_invalid_order_parameters_are_refused(gateway: WeChatPayGateway) -> None:
    with pytest.raises(WeChatPayError) as short:
        gateway.create_jsapi_order("T1", "x", 100, "o-payer")  # out_trade_no is 6-32 characters
    assert (short.value.status, short.value.code) == (400, "PARAM_ERROR")
    with pytest.raises(ValueError):
        gateway.create_jsapi_order("T20261125002", "x", 1.5, "o-payer")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        gateway.query_order("T20261125404")


def test_mini_program_payment_params_are_signed_by_the_merchant(gateway: WeChatPayGateway,
                                                                keys: WeChatPayTestKeys) -> None:
    prepay_id = gateway.create_jsapi_order("T20261125003", "任务托管", 500, "o-payer")
    params = gateway.mini_program_payment_params(prepay_id)
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"] == f"prepay_id={prepay_id}" and params["signType"] == "RSA"
    message = f"{gateway.appid}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    public_key = serialization.load_pem_public_key(keys.merchant_public_pem.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())


def test_close_order(gateway: WeChatPayGateway, fake: FakeWeChatPay) -> None:
    gateway.create_jsapi_order("T20261125004", "任务托管", 800, "o-payer")
    gateway.close_order("T20261125004")
    assert gateway.query_order("T20261125004").state == "CLOSED"
    status, body = _control(fake, "/_fake/wechatpay/pay", {"out_trade_no": "T20261125004"})
    assert (status, body["code"]) == (409, "INVALID_STATE")
    paid_order(gateway, fake, "T20261125005", 800)
    with pytest.raises(WeChatPayError) as paid:
        gateway.close_order("T20261125005")
    assert paid.value.code == "ORDERPAID"


# ------------------------------------------------------------------------------------------ notifications


@pytest.fixture
def delivered(gateway: WeChatPayGateway, fake: FakeWeChatPay, receiver: NotifyReceiver) -> FakeRequest:
    """A genuine TRANSACTION.SUCCESS notification as the merchant received it."""
    paid_order(gateway, fake, "T20261125010", 1_000)
    return wait_until(lambda: receiver.received and receiver.received[0])


def test_wechatpayv3_own_callback_helper_accepts_the_fake_notifications(gateway: WeChatPayGateway,
                                                                        delivered: FakeRequest) -> None:
    # A cross-check of the fake's wire format against the library's reading of it.
    result = gateway._client().callback(delivered.headers, delivered.body)
    assert result["event_type"] == "TRANSACTION.SUCCESS"
    assert result["resource"]["out_trade_no"] == "T20261125010"


def test_forged_signature_is_refused(gateway: WeChatPayGateway, keys: WeChatPayTestKeys,
                                     delivered: FakeRequest) -> None:
    headers = dict(delivered.headers)
    signature = bytearray(base64.b64decode(headers["wechatpay-signature"]))
    signature[10] ^= 0x01
    headers["wechatpay-signature"] = base64.b64encode(bytes(signature)).decode()
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(headers, delivered.body, now())

    # Signed by someone else's key, under our serial.
    impostor_keys = dataclasses.replace(generate_keys(), platform_public_key_id=keys.platform_public_key_id)
    impostor = FakeWeChatPay(impostor_keys)
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(impostor.sign(delivered.body), delivered.body, now())

    # WeChat's signature probes must fail verification.
    headers["wechatpay-signature"] = "WECHATPAY/SIGNTEST/" + "A" * 40
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(headers, delivered.body, now())


def test_body_changed_after_signing_is_refused(gateway: WeChatPayGateway, delivered: FakeRequest) -> None:
    envelope = json.loads(delivered.body)
    envelope["event_type"] = "REFUND.SUCCESS"
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(delivered.headers, json.dumps(envelope).encode(), now())
    # Re-encoding the same JSON differently changes the bytes: verification is on the raw body.
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(delivered.headers, json.dumps(json.loads(delivered.body)).encode(), now())


def test_tampered_ciphertext_is_refused(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                        delivered: FakeRequest) -> None:
    envelope = json.loads(delivered.body)
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[3] ^= 0x01
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    body = json.dumps(envelope).encode()
    # Validly signed by the platform, so only the AES-GCM tag catches it.
    with pytest.raises(DecryptError):
        gateway.parse_notification(fake.sign(body), body, now())
    wrong_key = make_gateway(fake, fake.keys, "http://unused", apiv3_key="f" * 32)
    with pytest.raises(DecryptError):
        wrong_key.parse_notification(delivered.headers, delivered.body, now())


def test_stale_timestamp_is_refused(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                    delivered: FakeRequest) -> None:
    assert gateway.parse_notification(delivered.headers, delivered.body, now() + timedelta(minutes=4))
    with pytest.raises(StaleNotification):
        gateway.parse_notification(delivered.headers, delivered.body, now() + timedelta(minutes=6))
    with pytest.raises(StaleNotification):
        gateway.parse_notification(delivered.headers, delivered.body, now() - timedelta(minutes=6))
    # A replay re-signed with an old timestamp is just as stale.
    old = fake.sign(delivered.body, timestamp=int(time.time()) - 3600)
    with pytest.raises(StaleNotification):
        gateway.parse_notification(old, delivered.body, now())


def test_unknown_serial_is_refused(gateway: WeChatPayGateway, delivered: FakeRequest) -> None:
    headers = {**delivered.headers, "wechatpay-serial": "PUB_KEY_ID_0000000000000000000000000000"}
    with pytest.raises(UnknownSerial):
        gateway.parse_notification(headers, delivered.body, now())
    headers["wechatpay-serial"] = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"  # a certificate serial
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(headers, delivered.body, now())
    missing = {k: v for k, v in delivered.headers.items() if k != "wechatpay-serial"}
    with pytest.raises(InvalidSignature):
        gateway.parse_notification(missing, delivered.body, now())


def test_unacknowledged_notification_is_retried(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                                receiver: NotifyReceiver) -> None:
    receiver.statuses = [500, 503]
    paid_order(gateway, fake, "T20261125020", 2_000)
    wait_until(lambda: len(receiver.received) == 3)
    [sent] = fake.notifications()
    wait_until(lambda: fake.notifications()[0]["delivered"])
    assert [a["status"] for a in fake.notifications()[0]["attempts"]] == [500, 503, 204]
    # Same notification each time, each attempt freshly signed and accepted.
    assert {b["id"] for b in receiver.bodies()} == {sent["id"]}
    parsed = [gateway.parse_notification(r.headers, r.body, now()) for r in receiver.received]
    assert {n.resource["out_trade_no"] for n in parsed} == {"T20261125020"}
    time.sleep(0.2)
    assert len(receiver.received) == 3  # acknowledged: no more attempts

    status, _ = _control(fake, f"/_fake/wechatpay/notifications/{sent['id']}/resend", {})
    assert status == 200
    wait_until(lambda: len(receiver.received) == 4)  # a duplicate, as WeChat sends
    assert receiver.bodies()[3]["id"] == sent["id"]
    # The fake records an attempt once the receiver has answered it, a moment after the receiver saw the body.
    wait_until(lambda: len(_control(fake, "/_fake/wechatpay/notifications")[1]["notifications"][0]["attempts"]) == 4)
    status, log = _control(fake, "/_fake/wechatpay/notifications")
    assert status == 200 and log["notifications"][0]["attempts"][-1]["resend"] is True


def test_retries_stop_after_the_schedule(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                         receiver: NotifyReceiver) -> None:
    receiver.statuses = [500] * 10
    paid_order(gateway, fake, "T20261125021", 2_000)
    wait_until(lambda: fake.notifications()[0]["gave_up"])
    assert len(fake.notifications()[0]["attempts"]) == 1 + len(FAST_RETRIES)
    time.sleep(0.2)
    assert len(receiver.received) == 1 + len(FAST_RETRIES)


# --------------------------------------------------------------------------------------------------- refunds


def test_refund_and_its_notification(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                     receiver: NotifyReceiver) -> None:
    paid_order(gateway, fake, "T20261125030", 10_000)
    refund = gateway.refund("R20261125030a", "T20261125030", 3_000, 10_000, "任务取消")
    assert (refund.status, refund.refund_fen, refund.total_fen) == ("PROCESSING", 3_000, 10_000)
    again = gateway.refund("R20261125030a", "T20261125030", 3_000, 10_000, "任务取消")  # idempotent
    assert again.refund_id == refund.refund_id

    notes = wait_until(lambda: [n for n in receiver.received
                                if json.loads(n.body)["event_type"] == "REFUND.SUCCESS"])
    notification = gateway.parse_notification(notes[0].headers, notes[0].body, now())
    done = Refund.from_resource(notification.resource)
    assert (done.out_refund_no, done.status, done.refund_fen) == ("R20261125030a", "SUCCESS", 3_000)
    assert gateway.query_refund("R20261125030a").status == "SUCCESS"
    assert gateway.query_order("T20261125030").state == "REFUND"

    with pytest.raises(WeChatPayError) as too_much:
        gateway.refund("R20261125030b", "T20261125030", 7_001, 10_000, "超额")
    assert too_much.value.code == "INVALID_REQUEST"
    with pytest.raises(WeChatPayError) as wrong_total:
        gateway.refund("R20261125030c", "T20261125030", 100, 9_999, None)
    assert wrong_total.value.code == "PARAM_ERROR"
    with pytest.raises(NotFound):
        gateway.query_refund("R20261125404")


def test_refund_completed_by_control(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                     receiver: NotifyReceiver) -> None:
    fake.refund_delay = None
    paid_order(gateway, fake, "T20261125031", 5_000)
    gateway.refund("R20261125031", "T20261125031", 5_000, 5_000, None)
    time.sleep(0.15)
    assert gateway.query_refund("R20261125031").status == "PROCESSING"
    status, body = _control(fake, "/_fake/wechatpay/refunds/R20261125031/complete", {"status": "ABNORMAL"})
    assert (status, body["status"]) == (200, "ABNORMAL")
    notes = wait_until(lambda: [n for n in receiver.received
                                if json.loads(n.body)["event_type"] == "REFUND.ABNORMAL"])
    resource = gateway.parse_notification(notes[0].headers, notes[0].body, now()).resource
    assert resource["refund_status"] == "ABNORMAL"


# ------------------------------------------------------------------------------------------ transfers


def test_transfer_confirmed_by_the_payee(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                         receiver: NotifyReceiver) -> None:
    transfer = gateway.transfer("P20261125040", "o-developer", 8_500, "任务报酬", notify_url=receiver.url)
    assert transfer.state == "WAIT_USER_CONFIRM" and transfer.package_info and transfer.transfer_bill_no
    assert gateway.merchant_transfer_params(transfer.package_info) == {
        "mchId": fake.mchid, "appId": fake.appid, "package": transfer.package_info}
    assert gateway.query_transfer("P20261125040").state == "WAIT_USER_CONFIRM"

    status, _ = _control(fake, "/_fake/wechatpay/transfers/P20261125040/confirm", {})
    assert status == 200
    wait_until(lambda: receiver.received)
    notification = gateway.parse_notification(receiver.received[0].headers, receiver.received[0].body, now())
    assert notification.event_type == "MCHTRANSFER.BILL.FINISHED"
    finished = Transfer.from_resource(notification.resource)
    assert (finished.out_bill_no, finished.state, finished.amount_fen) == ("P20261125040", "SUCCESS", 8_500)
    queried = gateway.query_transfer("P20261125040")
    assert (queried.state, queried.amount_fen, queried.openid) == ("SUCCESS", 8_500, "o-developer")
    with pytest.raises(WeChatPayError) as late:
        gateway.cancel_transfer("P20261125040")
    assert late.value.code == "INVALID_REQUEST"


def test_transfer_cancelled_before_confirmation(gateway: WeChatPayGateway, fake: FakeWeChatPay,
                                                receiver: NotifyReceiver) -> None:
    gateway.transfer("P20261125041", "o-developer", 8_500, "任务报酬")  # default notify_url
    cancelled = gateway.cancel_transfer("P20261125041")
    assert cancelled.state in ("CANCELING", "CANCELLED")
    assert gateway.query_transfer("P20261125041").state == "CANCELLED"
    wait_until(lambda: receiver.received)
    first = receiver.received[0]
    resource = gateway.parse_notification(first.headers, first.body, now()).resource
    assert resource["state"] == "CANCELLED"
    status, body = _control(fake, "/_fake/wechatpay/transfers/P20261125041/confirm", {})
    assert (status, body["code"]) == (409, "INVALID_STATE")


def test_transfer_failed(gateway: WeChatPayGateway, fake: FakeWeChatPay, receiver: NotifyReceiver) -> None:
    gateway.transfer("P20261125042", "o-developer", 100, "任务报酬")
    _control(fake, "/_fake/wechatpay/transfers/P20261125042/fail", {"fail_reason": "PAYEE_ACCOUNT_ABNORMAL"})
    queried = gateway.query_transfer("P20261125042")
    assert (queried.state, queried.fail_reason) == ("FAIL", "PAYEE_ACCOUNT_ABNORMAL")
    wait_until(lambda: receiver.received)


def test_transfer_from_2000_yuan_needs_the_real_name(gateway: WeChatPayGateway, fake: FakeWeChatPay) -> None:
    with pytest.raises(RealNameRequired):
        gateway.transfer("P20261125043", "o-developer", 200_000, "任务报酬")
    with pytest.raises(FakeStateError):
        fake.transfer("P20261125043")  # nothing was sent

    # The fake refuses it too, when a client does send it.
    core = gateway._client()._core
    from wechatpayv3.type import RequestType

    status, body = core.request("/v3/fund-app/mch-transfer/transfer-bills", method=RequestType.POST, data={
        "appid": fake.appid, "out_bill_no": "P20261125043", "transfer_scene_id": "1005",
        "openid": "o-developer",
        "transfer_amount": 200_000, "transfer_remark": "任务报酬", "notify_url": "http://127.0.0.1:1/n",
        "transfer_scene_report_infos": [{"info_type": "岗位类型", "info_content": "开发"},
                                        {"info_type": "报酬说明", "info_content": "报酬"}],
    })
    assert (status, json.loads(body)["code"]) == (400, "PARAM_ERROR")

    transfer = gateway.transfer("P20261125044", "o-developer", 200_000, "任务报酬", user_name="张三")
    assert transfer.state == "WAIT_USER_CONFIRM"
    assert fake.transfer("P20261125044")["user_name"] == "张三"  # sent encrypted, readable by WeChat only
    assert fake.transfer("P20261125044")["transfer_amount"] == 200_000


# --------------------------------------------------------------------------------------------------- bills


def test_trade_bill_download_and_parse(gateway: WeChatPayGateway, fake: FakeWeChatPay) -> None:
    bill_day = date(2026, 11, 24)
    fake.clock = lambda: datetime(2026, 11, 24, 9, 30, tzinfo=BEIJING)
    fake.refund_delay = None
    paid_order(gateway, fake, "T20261124001", 12_345)
    paid_order(gateway, fake, "T20261124002", 1)
    gateway.refund("R20261124001", "T20261124001", 2_345, 12_345, "部分退款")
    fake.clock = lambda: datetime(2026, 11, 25, 0, 0, 1, tzinfo=BEIJING)
    paid_order(gateway, fake, "T20261125050", 999)  # the next day: not on this bill

    rows = gateway.trade_bill(bill_day)
    payments = {r.out_trade_no: r for r in rows if r.trade_state == "SUCCESS"}
    refunds = [r for r in rows if r.trade_state == "REFUND"]
    assert set(payments) == {"T20261124001", "T20261124002"}
    big = payments["T20261124001"]
    assert (big.total_fen, big.settlement_total_fen, big.fee_fen, big.refund_fen) == (12_345, 12_345, 74, 0)
    assert big.trade_time == datetime(2026, 11, 24, 9, 30, tzinfo=BEIJING)
    assert big.description == "任务托管" and big.openid == "o-payer" and big.refund_id is None
    assert payments["T20261124002"].total_fen == 1 and payments["T20261124002"].fee_fen == 0
    [refund] = refunds
    assert (refund.out_refund_no, refund.refund_fen, refund.requested_refund_fen, refund.fee_fen) == (
        "R20261124001", 2_345, 2_345, -14)
    assert refund.refund_status == "PROCESSING" and refund.out_trade_no == "T20261124001"

    csv = fake.trade_bill_csv(bill_day)
    assert csv is not None
    text = csv.decode()
    assert "`123.45," in text and "`0.01," in text and text.splitlines()[-2].startswith("总交易单数")
    assert text.splitlines()[-1] == "`3,`123.46,`23.45,`0.00,`0.60000,`123.46,`23.45"

    assert [r.out_trade_no for r in gateway.trade_bill("2026-11-25")] == ["T20261125050"]
    assert gateway.trade_bill(date(2026, 11, 20)) == []  # no trades: WeChat has no bill


def test_parse_a_success_type_bill_as_wechat_writes_it() -> None:
    # SUCCESS bills have no refund columns; a BOM and a comma inside a product name occur in real files.
    bill = (
        "\ufeff交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
        "货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注\r\n"
        "`2019-11-04 18:52:59,`wxdf9968af00e458e0,`1393091302,`0,`,`4200000422201911044383886395,"
        "`1572864513058gxaivpd,`o1gswuOe,`NATIVE,`SUCCESS,`CFT,`CNY,`1299.02,`0.00,`课程,教材,`,`7.79000,"
        "`0.60%,`1299.02,`\r\n"
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
        "`1,`1299.02,`0.00,`0.00,`7.79000,`1299.02,`0.00\r\n"
    )
    [row] = parse_trade_bill(bill.encode())
    assert (row.total_fen, row.settlement_total_fen, row.fee_fen) == (129_902, 129_902, 779)
    assert row.description == "课程,教材" and row.refund_id is None
    with pytest.raises(WeChatPayError):
        parse_trade_bill(bill.replace("`1,`1299.02", "`2,`1299.02").encode())  # summary disagrees


# ------------------------------------------------------------------------------------------ auth, setup


def test_fake_refuses_a_wrong_merchant_signature(fake: FakeWeChatPay, keys: WeChatPayTestKeys) -> None:
    impostor = make_gateway(fake, keys, "http://unused", private_key=generate_keys().merchant_private_pem)
    with pytest.raises(WeChatPayError) as refused:
        impostor.query_order("T20261125060")
    assert (refused.value.status, refused.value.code) == (401, "SIGN_ERROR")
    wrong_serial = make_gateway(fake, keys, "http://unused", cert_serial_no="0" * 40)
    with pytest.raises(WeChatPayError) as serial:
        wrong_serial.query_order("T20261125060")
    assert serial.value.status == 401

    request = urllib.request.Request(
        fake.base_url + "/v3/pay/transactions/out-trade-no/T20261125060?mchid=" + fake.mchid,
        headers={"Authorization": 'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="x",'
                                  f'signature="AAAA",timestamp="{int(time.time())}",'
                                  f'serial_no="{keys.merchant_serial}"'},
    )
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(request, timeout=5)
    assert unsigned.value.code == 401 and json.loads(unsigned.value.read())["code"] == "SIGN_ERROR"


def test_answers_signed_by_another_platform_key_are_refused(fake: FakeWeChatPay, keys: WeChatPayTestKeys,
                                                            receiver: NotifyReceiver) -> None:
    other = generate_keys()
    gateway = make_gateway(fake, keys, receiver.url, public_key=other.platform_public_pem)
    with pytest.raises(InvalidSignature):
        gateway.create_jsapi_order("T20261125070", "任务托管", 100, "o-payer")


def test_certificate_mode(keys: WeChatPayTestKeys, tmp_path: Any) -> None:
    """wechatpayv3 without a platform public key: certificates from /v3/certificates, answers verified."""
    from wechatpayv3 import WeChatPay, WeChatPayType

    with FakeWeChatPay(keys, signing="certificate") as fake:
        assert isinstance(fake, FakeWeChatPay)
        # wechatpayv3 reads certificates on construction, before the gateway can be set: seed its cert_dir.
        (tmp_path / "seed.pem").write_text(fake.platform_certificate_pem)
        client = WeChatPay(wechatpay_type=WeChatPayType.MINIPROG, mchid=fake.mchid,
                           private_key=keys.merchant_private_pem, cert_serial_no=keys.merchant_serial,
                           appid=fake.appid, apiv3_key=fake.apiv3_key, notify_url="http://127.0.0.1:1/n",
                           cert_dir=str(tmp_path))
        client._core._gate_way = fake.base_url
        client._core._update_certificates()  # the download: decrypts with the APIv3 key
        assert [format(c.serial_number, "X") for c in client._core._certificates] == [fake.certificate_serial]
        status, body = client.pay(description="任务托管", out_trade_no="T20261125080", amount={"total": 100},
                                  payer={"openid": "o-payer"})
        assert status == 200 and json.loads(body)["prepay_id"]


def test_keys_persist(tmp_path: Any) -> None:
    first = load_or_generate_keys(tmp_path / "wechatpay")
    assert load_or_generate_keys(tmp_path / "wechatpay") == first
    assert (tmp_path / "wechatpay" / "apiclient_key.pem").stat().st_mode & 0o077 == 0
    assert WeChatPayTestKeys.load(tmp_path / "wechatpay").platform_public_key_id.startswith("PUB_KEY_ID_")


def test_from_settings_and_one_line_pem(fake: FakeWeChatPay, receiver: NotifyReceiver) -> None:
    from shared.config import Settings

    env = fake.settings_env()
    # SCF environment variables are single-line: PEMs come with "\n" escapes.
    values: dict[str, Any] = {k.lower(): v.replace("\n", "\\n") for k, v in env.items()}
    settings = Settings(**values, wechatpay_notify_url=receiver.url)
    gateway = WeChatPayGateway.from_settings(settings)
    assert gateway.create_jsapi_order("T20261125090", "任务托管", 100, "o-payer").startswith("wx")


def test_import_is_lazy() -> None:
    code = ("import sys, shared.adapters.wechatpay; "
            "print(sorted(m for m in ('wechatpayv3', 'requests', 'cryptography') if m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"
