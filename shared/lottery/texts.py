"""What the lottery says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

LOTTERY_WON = Notice("lottery_won", "月度抽奖中奖", "恭喜你在 {lottery} 月度抽奖中获得：{prize}。")
