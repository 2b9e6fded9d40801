"""The story's chat part (issue 12), right after the developer applies: the merchant and the applicant talk in the
task's conversation, the developer tries to move off the platform ("加我微信 …"), is warned, the merchant sees the
WeChat id masked, and the attempt is flagged. Standard library only, like infra/local/client.py."""

from __future__ import annotations

from collections.abc import Callable

from infra.local.client import Actor, CallFailed, LocalClient

Say = Callable[[str], None]
OFF_PLATFORM = "加我微信 wx_12345678"


def play_chat(client: LocalClient, step: Say, say: Say, ctx: dict[str, object]) -> dict[str, object]:
    """ctx: merchant and dev (Actors), task (the task as published)."""
    merchant, dev, task = ctx["merchant"], ctx["dev"], ctx["task"]
    assert isinstance(merchant, Actor) and isinstance(dev, Actor) and isinstance(task, dict)
    step("投递后任务沟通：商家与开发者在平台内聊天，站外联系方式对对方隐藏并标记")
    mine = client.expect(200, "GET", "/chat/conversations", token=dev.token,
                         query={"task_id": task["id"]}).body["items"]
    if len(mine) != 1:
        raise CallFailed(f"expected one conversation for the application, got {mine}")
    conv = mine[0]["id"]
    path = f"/chat/conversations/{conv}/messages"
    client.expect(201, "POST", path, {"body": "你好，登录页需要同时支持手机号绑定吗？"}, merchant.token)
    client.expect(201, "POST", path, {"body": "需要的，三天内可以交付第一版。"}, dev.token)
    sent = client.expect(201, "POST", path, {"body": OFF_PLATFORM}, dev.token).body
    if not sent.get("warning"):
        raise CallFailed(f"the sender should be warned: {sent}")
    say(f"   开发者发送「{OFF_PLATFORM}」→ 提醒：{sent['warning'][:24]}…")
    seen = client.expect(200, "GET", path, token=merchant.token).body
    last = seen["items"][-1]
    if last["body"] == OFF_PLATFORM or not last["masked"]:
        raise CallFailed(f"the merchant should see the contact masked: {last}")
    say(f"   商家看到「{last['body']}」（已隐藏），未读 {seen['unread']} 条")
    client.expect(200, "POST", f"/chat/conversations/{conv}/read", {"up_to_id": last["id"]},
                  merchant.token)
    say("   该消息已标记为站外联系（OffPlatformContactFlagged），计入开发者信用档案")
    return {"chat_conversation_id": conv, "chat_flagged_message_id": sent["message"]["id"]}
