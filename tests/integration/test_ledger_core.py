"""The ledger's invariants, enforced by the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.ledger import accounts as acc
from shared.ledger.check import check_ledger
from shared.ledger.service import LedgerError, balance, post
from shared.uow import UnitOfWork, run


def fund(uow, ref="o1", amount=10_000, task=1):
    return post(uow, "fund_escrow", ref, [(acc.CLEARING, amount), (acc.task_escrow(task), -amount)])


def test_post_is_idempotent_and_balances_follow(db):
    assert run(fund) is not None
    assert run(fund) is None  # same (kind, ref): nothing moves twice
    assert run(lambda u: balance(u, acc.task_escrow(1))) == 10_000
    assert run(lambda u: balance(u, acc.CLEARING)) == 10_000
    with db.connect() as conn:
        assert check_ledger(conn).ok


def test_python_refuses_unbalanced_or_float(db):
    with pytest.raises(LedgerError):
        run(lambda u: post(u, "x", "1", [(acc.CLEARING, 100), (acc.REVENUE, -99)]))
    with pytest.raises(LedgerError):
        run(lambda u: post(u, "x", "2", [(acc.CLEARING, 1.5), (acc.REVENUE, -1.5)]))  # type: ignore[list-item]


def test_database_refuses_unbalanced_transaction_at_commit(db):
    def sneaky(uow: UnitOfWork):
        fund(uow)
        tid = uow.execute("SELECT id FROM ledger_transactions").scalar_one()
        aid = uow.execute("SELECT id FROM ledger_accounts WHERE code = :c", {"c": acc.REVENUE}).first()
        uow.execute("INSERT INTO ledger_accounts (code, kind, normal_side, created_at) VALUES"
                    " ('platform:revenue', 'platform_revenue', 'credit', now()) ON CONFLICT DO NOTHING")
        aid = uow.execute("SELECT id FROM ledger_accounts WHERE code = 'platform:revenue'").scalar_one()
        uow.execute("INSERT INTO ledger_postings (transaction_id, account_id, amount, created_at)"
                    " VALUES (:t, :a, -1, now())", {"t": tid, "a": aid})

    with pytest.raises(DBAPIError, match="does not balance"):
        run(sneaky)
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_postings")).scalar_one() == 0


def test_no_account_goes_negative(db):
    run(fund)
    with db.begin() as conn:
        conn.execute(text("INSERT INTO users (id, openid, created_at, updated_at) VALUES (5, 'o5', now(), now())"))
    with pytest.raises(DBAPIError, match="ledger_balance_not_negative"):
        run(lambda u: post(u, "release", "t1", [(acc.task_escrow(1), 10_001), (acc.payable(5), -10_001)]))
    assert run(lambda u: balance(u, acc.task_escrow(1))) == 10_000


def test_postings_are_immutable(db):
    run(fund)
    for sql in ("UPDATE ledger_postings SET amount = amount * 2", "DELETE FROM ledger_postings",
                "UPDATE ledger_transactions SET ref = 'x'"):
        with pytest.raises(DBAPIError, match="immutable"), db.begin() as conn:
            conn.execute(text(sql))
