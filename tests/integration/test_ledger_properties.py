"""Property-based: random sequences of money operations never break a ledger invariant.

A hypothesis state machine drives the real ledger (PostgreSQL, its triggers and constraints) through escrow funding,
release with commission, payouts that succeed or bounce, and refunds; after every step the independent checker must
pass and every balance must equal a plain-Python model. Operations that would overdraw an account must be refused by
the database and change nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.ledger import accounts as acc
from shared.ledger.check import check_ledger
from shared.ledger.service import balance, post
from shared.uow import run

TASKS = [1, 2, 3]
DEVS = [11, 12]
amounts = st.integers(min_value=1, max_value=5_000_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, int] = {}
        self.seq = 0
        self.posted: list[tuple[str, str]] = []

    @initialize()
    def clean(self) -> None:
        from infra.local.platform import truncate_all
        from shared.db import get_engine

        truncate_all(get_engine())
        with get_engine().begin() as conn:
            for uid in DEVS:
                conn.execute(text("INSERT INTO users (id, openid, created_at, updated_at)"
                                  " VALUES (:i, :o, now(), now())"), {"i": uid, "o": f"o{uid}"})

    def _post(self, kind: str, entries: list[tuple[str, int]]) -> bool:
        """Post; on success update the model. Returns False when the database refused an overdraft."""
        self.seq += 1
        ref = f"{kind}:{self.seq}"
        try:
            run(lambda uow: post(uow, kind, ref, entries))
        except DBAPIError as exc:
            assert "ledger_balance_not_negative" in str(exc), exc
            return False
        for code, amount in entries:
            _, side, _ = acc.describe(code)
            self.model[code] = self.model.get(code, 0) + (amount if side == "debit" else -amount)
        self.posted.append((kind, ref))
        return True

    def bal(self, code: str) -> int:
        return self.model.get(code, 0)

    @rule(task=st.sampled_from(TASKS), amount=amounts, fee=st.integers(min_value=0, max_value=8_000))
    def fund(self, task: int, amount: int, fee: int) -> None:
        entries = [(acc.CLEARING, amount + fee), (acc.task_escrow(task), -amount)]
        if fee:
            entries.append((acc.REVENUE, -fee))
        assert self._post("fund_escrow", entries)

    @rule(task=st.sampled_from(TASKS), dev=st.sampled_from(DEVS), share=st.floats(min_value=0.5, max_value=1.0))
    def release(self, task: int, dev: int, share: float) -> None:
        held = self.bal(acc.task_escrow(task))
        if held == 0:
            return
        to_dev = max(1, int(held * share))
        entries = [(acc.task_escrow(task), held), (acc.payable(dev), -to_dev)]
        if held - to_dev:
            entries.append((acc.REVENUE, -(held - to_dev)))
        assert self._post("release_escrow", entries)

    @rule(dev=st.sampled_from(DEVS), amount=amounts)
    def start_payout(self, dev: int, amount: int) -> None:
        available = self.bal(acc.payable(dev))
        ok = self._post("payout_start", [(acc.payable(dev), amount), (acc.PAYOUTS_IN_FLIGHT, -amount)])
        assert ok == (amount <= available)

    @precondition(lambda self: self.bal(acc.PAYOUTS_IN_FLIGHT) > 0)
    @rule(dev=st.sampled_from(DEVS), succeeded=st.booleans(), part=st.floats(min_value=0.01, max_value=1.0))
    def finish_payout(self, dev: int, succeeded: bool, part: float) -> None:
        amount = max(1, int(self.bal(acc.PAYOUTS_IN_FLIGHT) * part))
        other = acc.CLEARING if succeeded else acc.payable(dev)
        clearing = self.bal(acc.CLEARING)
        # Paying out more than the clearing account holds must be refused, like any overdraft.
        ok = self._post("payout_done" if succeeded else "payout_reverted",
                        [(acc.PAYOUTS_IN_FLIGHT, amount), (other, -amount)])
        assert ok or (succeeded and amount > clearing)

    @rule(task=st.sampled_from(TASKS), amount=amounts)
    def refund(self, task: int, amount: int) -> None:
        held, clearing = self.bal(acc.task_escrow(task)), self.bal(acc.CLEARING)
        ok = self._post("refund_start", [(acc.task_escrow(task), amount), (acc.REFUNDS_IN_FLIGHT, -amount)])
        assert ok == (amount <= held)
        if ok:
            done = self._post("refund_done", [(acc.REFUNDS_IN_FLIGHT, amount), (acc.CLEARING, -amount)])
            assert done == (amount <= clearing)

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def replay_is_a_no_op(self, data: st.DataObject) -> None:
        kind, ref = data.draw(st.sampled_from(self.posted))
        # Re-posting an existing (kind, ref) — a retried webhook or job — must move nothing, whatever it says.
        assert run(lambda uow: post(uow, kind, ref, [(acc.CLEARING, 7), (acc.task_escrow(1), -7)])) is None

    @invariant()
    def books_balance(self) -> None:
        from shared.db import get_engine

        with get_engine().connect() as conn:
            report = check_ledger(conn, attempts=False)  # raw postings: no refund / transfer rows behind them
        assert report.ok, report.problems
        for code, expected in self.model.items():
            assert run(lambda uow, c=code: balance(uow, c)) == expected, code
            assert expected >= 0, code


@pytest.mark.usefixtures("db")
def test_random_money_operations_keep_every_invariant():
    LedgerMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    LedgerMachine.TestCase().runTest()
