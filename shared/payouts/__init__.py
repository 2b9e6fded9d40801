"""Paying developers: escrow release with commission, merchant transfers they confirm in the mini-program, and the
payable balance they can withdraw.

Modules: `rules` (the payout and transfer state machines, pure), `models` (typed rows), `release` (escrow release and
the payout owed), `transfers` (starting, settling and refreshing a transfer; the flow is described there), `sweep`
(the timer), `withdrawals`, `queries` (the read side), `commission`, `settlement` (the port to WeChat Pay), `errors`,
`routes`, `subscribers`.
"""
