"""The settlement port: how money we owe a developer actually reaches them.

The payout use cases (shared/payouts/transfers.py, sweep.py) speak only this protocol: they start a settlement
under a number of ours (`out_bill_no`, stable across retries of one attempt), ask for its state, cancel it, and
hand the payee whatever the mini-program needs to confirm it. They never see WeChat Pay's API.

Implemented: `TransferSettlement`, WeChat Pay's merchant transfer (商家转账, `transfer-bills`): the platform pays
from its own merchant balance to the developer's WeChat balance; the developer confirms in the mini-program
(wx.requestMerchantTransfer); from ¥2,000 the payee's real name is required.

Adding profit sharing (分账) for a service-provider / sub-merchant setup, without touching the use cases:
  1. Write `ProfitSharingSettlement` implementing `SettlementStrategy`:
     - `start()` calls the profit-sharing order API (`POST /v3/profitsharing/orders`, out_order_no = the
       `out_bill_no` it is given, transaction_id = the funding order of the task, one receiver: the developer's
       openid, type PERSONAL_OPENID, amount = the share; `name` = the real name when `needs_real_name` says so)
       and maps its state: PROCESSING → `Status.PROCESSING`, FINISHED + receiver SUCCESS → `SUCCEEDED`, receiver
       CLOSED → `FAILED` (with fail_reason). No payee confirmation exists, so it never returns AWAITING_PAYEE and
       `confirm_params()` returns None.
     - `query()` → `GET /v3/profitsharing/orders/{out_order_no}`; `cancel()` raises `SettlementRejected` (a split
       cannot be cancelled, only returned with the return-order API, which is a refund concern).
     - `needs_real_name()` per the receiver rules; `name = "profit_sharing"`.
     - The 30-day freeze (180 days for a service provider) is why it must run before the funds unfreeze; the use
       cases already start payouts at release time.
  2. Return it from `strategy_for()` below (a setting: `PAYOUT_STRATEGY=profit_sharing`), or per payout.
  3. The payments webhook hands PROFITSHARING.* notifications, mapped to the same fields (out_bill_no = out_order_no,
     state SUCCESS/FAIL), to `shared.payouts.transfers.on_transfer_notification` — the settling code is shared.
  The ledger does not change: payout_start / payout_done / payout_reverted mean the same with either strategy (for
  profit sharing `wechatpay:clearing` stands for the sub-merchant's settled balance).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shared.payouts.errors import SettlementNotFound, SettlementRejected, SettlementUnavailable

if TYPE_CHECKING:
    from shared.adapters.wechatpay import Transfer, WeChatPayGateway


class Status(str, enum.Enum):
    PROCESSING = "processing"  # accepted, not final, nothing for the payee to do
    AWAITING_PAYEE = "awaiting_payee"  # the payee must confirm (merchant transfer: WAIT_USER_CONFIRM)
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)


@dataclass(frozen=True)
class PayoutOrder:
    """What to pay: our number for this attempt, to whom, how much."""

    out_bill_no: str
    openid: str
    amount_fen: int
    remark: str  # shown to the payee (merchant transfer: at most 32 characters)
    real_name: str | None = None  # given when `needs_real_name(amount_fen)`


@dataclass(frozen=True)
class SettlementResult:
    out_bill_no: str
    status: Status
    external_id: str | None = None  # the provider's number (transfer_bill_no)
    package_info: str | None = None  # what the payee's client needs to confirm (AWAITING_PAYEE only)
    fail_reason: str | None = None
    raw_state: str = ""


class SettlementStrategy(Protocol):
    name: str

    def needs_real_name(self, amount_fen: int) -> bool: ...

    def start(self, order: PayoutOrder) -> SettlementResult:
        """Start paying `order`; with an out_bill_no already used, answer the existing settlement's state."""
        ...

    def query(self, out_bill_no: str) -> SettlementResult: ...

    def cancel(self, out_bill_no: str) -> SettlementResult: ...

    def confirm_params(self, package_info: str) -> dict[str, str] | None:
        """The arguments the mini-program passes to the confirmation API, or None if there is nothing to confirm."""
        ...


# --------------------------------------------------------------------------------------------------- transfer

_TRANSFER_STATES = {
    "ACCEPTED": Status.PROCESSING,
    "PROCESSING": Status.PROCESSING,
    "TRANSFERING": Status.PROCESSING,  # sic: WeChat's spelling
    "WAIT_USER_CONFIRM": Status.AWAITING_PAYEE,
    "CANCELING": Status.CANCELLING,
    "SUCCESS": Status.SUCCEEDED,
    "FAIL": Status.FAILED,
    "CANCELLED": Status.CANCELLED,
}


def transfer_status(state: str) -> Status:
    """A merchant-transfer state (from an answer or a MCHTRANSFER.BILL.FINISHED resource) as a settlement status."""
    try:
        return _TRANSFER_STATES[state]
    except KeyError:
        raise ValueError(f"unknown transfer state {state!r}") from None


class TransferSettlement:
    """WeChat Pay merchant transfer (商家转账) through `WeChatPayGateway`."""

    name = "transfer"

    def __init__(self, gateway: WeChatPayGateway) -> None:
        self.gateway = gateway

    def needs_real_name(self, amount_fen: int) -> bool:
        from shared.adapters.wechatpay import REAL_NAME_THRESHOLD_FEN

        return amount_fen >= REAL_NAME_THRESHOLD_FEN

    @staticmethod
    def _result(transfer: Transfer) -> SettlementResult:
        return SettlementResult(out_bill_no=transfer.out_bill_no, status=transfer_status(transfer.state),
                                external_id=transfer.transfer_bill_no, package_info=transfer.package_info,
                                fail_reason=transfer.fail_reason, raw_state=transfer.state)

    def _guard(self, call: Callable[..., Transfer], *args: Any, **kwargs: Any) -> SettlementResult:
        from shared.adapters import wechatpay as wp

        try:
            return self._result(call(*args, **kwargs))
        except wp.NotFound as exc:
            raise SettlementNotFound(exc.code, exc.message) from exc
        except wp.WeChatPayError as exc:
            # Retryable: network, 5xx, 429, SYSTEM_ERROR... — the call may have happened; same number again later.
            # A signature failure on an answer is also "unknown outcome", not a refusal.
            unknown_outcome = exc.status == 0 and exc.code in ("BAD_RESPONSE", "CLIENT_ERROR", "CONFIG_ERROR")
            if exc.retryable or isinstance(exc, wp.InvalidSignature) or unknown_outcome:
                raise SettlementUnavailable(str(exc)) from exc
            raise SettlementRejected(exc.code, exc.message) from exc

    def start(self, order: PayoutOrder) -> SettlementResult:
        return self._guard(self.gateway.transfer, order.out_bill_no, order.openid, order.amount_fen, order.remark,
                           user_name=order.real_name)

    def query(self, out_bill_no: str) -> SettlementResult:
        return self._guard(self.gateway.query_transfer, out_bill_no)

    def cancel(self, out_bill_no: str) -> SettlementResult:
        return self._guard(self.gateway.cancel_transfer, out_bill_no)

    def confirm_params(self, package_info: str) -> dict[str, str] | None:
        return self.gateway.merchant_transfer_params(package_info)


def strategy_for(name: str = "transfer") -> SettlementStrategy:
    """The configured strategy. One today; profit sharing plugs in here (see the module docstring)."""
    if name != "transfer":
        raise ValueError(f"unknown settlement strategy {name!r}")
    from shared.adapters import clients

    return TransferSettlement(clients.wechatpay())


_override: SettlementStrategy | None = None


def use_strategy(strategy: SettlementStrategy | None) -> SettlementStrategy | None:
    """Install a strategy for this process (tests that need a provider outage); None restores the configured one.
    Returns the previous override."""
    global _override
    previous, _override = _override, strategy
    return previous


def current() -> SettlementStrategy:
    return _override if _override is not None else strategy_for()
