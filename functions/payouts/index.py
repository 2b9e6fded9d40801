# placeholder until the use case lands
"""Placeholder for the `payouts` function: answers 501 until its use case lands."""

from __future__ import annotations

import json


def main_handler(event: dict, context: object) -> dict:
    body = {"code": "NOT_IMPLEMENTED", "message": "功能尚未上线"}
    return {
        "statusCode": 501,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }
