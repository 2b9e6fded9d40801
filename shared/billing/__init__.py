"""Fees and subscriptions: memberships (enterprise / growth pass / premium), task promotion (置顶推荐), the glue that
turns a paid WeChat Pay order into a period or a promotion exactly once, and the daily reconciliation against
WeChat Pay's trade bill. Orders and the payment webhook belong to shared/payments; this package only reacts to them.
"""
