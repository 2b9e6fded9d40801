"""What the reports area says to users (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

REPORT_READY = Notice("report_ready", "{month_name}成长报告已生成",
                      "你的{month_name}成长报告已生成（验证码 {code}），可在「成长报告」中下载 PDF 或分享验证链接。")
