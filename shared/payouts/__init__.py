"""Paying developers: escrow release with commission, merchant transfers they confirm in the mini-program, and the
payable balance they can withdraw. See service.py for the flow and settlement.py for the port to WeChat Pay."""
