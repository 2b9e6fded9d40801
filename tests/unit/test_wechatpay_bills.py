"""The fund-flow bill (资金账单) parser on the file format WeChat Pay publishes: backtick-prefixed fields, a summary
header and line, both bracket forms in the amount columns, and counts written "2.0" as well as "2"."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.adapters.wechatpay import BEIJING, WeChatPayError, parse_fund_flow_bill

HEADER_FULLWIDTH = ("记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,"
                    "资金变更提交申请人,备注,业务凭证号")
HEADER_ASCII = HEADER_FULLWIDTH.replace("（", "(").replace("）", ")")
LINES = [
    "`2026-11-25 13:54:01,`4200000920202611257964319284,`1900009231202611255884652186,`交易,`交易,`收入,`500.00,"
    "`500.00,`system,`,`T20261125001",
    "`2026-11-25 13:54:01,`4200000920202611257964319284,`1900009231202611255884652187,`交易,`扣除交易手续费,`支出,"
    "`3.00,`497.00,`system,`,`T20261125001",
    "`2026-11-25 14:00:45,`1330000071100999991182020050700019480001,`1900009231202611255884652188,`商家转账,`商家转账,"
    "`支出,`425.00,`72.00,`1601959334API,`任务报酬,`PO12K1A1",
]
SUMMARY = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n`3.0,`1.0,`500.00,`2.0,`428.00"


@pytest.mark.parametrize("header", [HEADER_FULLWIDTH, HEADER_ASCII])
def test_parse_fund_flow_bill(header: str) -> None:
    content = ("\ufeff" + "\r\n".join([header, *LINES, SUMMARY]) + "\r\n").encode("utf-8")
    income, fee, transfer = parse_fund_flow_bill(content)
    assert income.income and income.amount_fen == 50_000 and income.voucher_no == "T20261125001"
    assert not fee.income and fee.amount_fen == 300 and not fee.is_transfer
    assert transfer.is_transfer and transfer.amount_fen == 42_500 and transfer.voucher_no == "PO12K1A1"
    assert transfer.balance_fen == 7_200
    assert transfer.booked_at == datetime(2026, 11, 25, 14, 0, 45, tzinfo=BEIJING)


def test_a_summary_that_does_not_count_the_lines_is_refused() -> None:
    content = "\r\n".join([HEADER_FULLWIDTH, *LINES[:2], SUMMARY]).encode("utf-8")
    with pytest.raises(WeChatPayError, match="summary"):
        parse_fund_flow_bill(content)


def test_a_bill_without_the_columns_we_match_on_is_refused() -> None:
    content = "\r\n".join([HEADER_FULLWIDTH.replace(",业务凭证号", ""), SUMMARY]).encode("utf-8")
    with pytest.raises(WeChatPayError, match="业务凭证号"):
        parse_fund_flow_bill(content)
