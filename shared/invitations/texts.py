"""What the invitations area says to users (inbox templates; kinds in shared/notifications/kinds.py)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

CREDITED = Notice("invitation_credited", "邀请成功",
                  "你邀请的好友「{name}」已绑定手机号并完善简历，邀请已计入你的成长挑战。")
