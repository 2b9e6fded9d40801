-- Reconciliation (issue 6): a day whose bill WeChat Pay is still making (STATEMENT_CREATING) is `pending` — retried by
-- the next hourly run — instead of `failed`; and the fund-flow bill (资金账单) is read beside the trade bill, which
-- brings merchant transfers (payouts) into the comparison: the trade bill lists payments and refunds only.

ALTER TABLE reconciliation_runs DROP CONSTRAINT reconciliation_runs_status_check;
ALTER TABLE reconciliation_runs ADD CONSTRAINT reconciliation_runs_status_check
    CHECK (status IN ('matched', 'differences', 'failed', 'pending'));

-- The fund-flow bill's totals: its lines, money in and out of the basic account (fees included), and the transfers
-- it shows against ours that succeeded that day.
ALTER TABLE reconciliation_runs
    ADD COLUMN fund_lines        int NOT NULL DEFAULT 0,
    ADD COLUMN fund_income_fen   bigint NOT NULL DEFAULT 0,
    ADD COLUMN fund_expense_fen  bigint NOT NULL DEFAULT 0,
    ADD COLUMN bill_transfer_fen bigint NOT NULL DEFAULT 0,
    ADD COLUMN ours_transfer_fen bigint NOT NULL DEFAULT 0;

-- A transfer difference names its out_bill_no; it has no out_trade_no.
ALTER TABLE reconciliation_diffs DROP CONSTRAINT reconciliation_diffs_line_type_check;
ALTER TABLE reconciliation_diffs ADD CONSTRAINT reconciliation_diffs_line_type_check
    CHECK (line_type IN ('payment', 'refund', 'transfer'));
ALTER TABLE reconciliation_diffs ADD COLUMN out_bill_no text;
ALTER TABLE reconciliation_diffs ALTER COLUMN out_trade_no DROP NOT NULL;
ALTER TABLE reconciliation_diffs ADD CONSTRAINT reconciliation_diffs_names_its_line
    CHECK ((line_type = 'transfer') = (out_bill_no IS NOT NULL) AND (line_type = 'transfer' OR out_trade_no IS NOT NULL));
