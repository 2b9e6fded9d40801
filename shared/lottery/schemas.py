"""Bodies of the `lottery` routes. The public record's shape is docs/LOTTERY.md §6 (`codelink-lottery-draw/v1`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class BeaconOut(BaseModel):
    source: str = Field(description="随机信标来源，如 drand:quicknet", examples=["drand:quicknet"])
    round: str = Field(description="信标轮次（截止后才产生）", examples=["8123456"])
    value: str | None = Field(None, description="开奖时使用的信标值（开奖后公布）",
                              examples=["9f2c0d8b6f3c2a41e5b7d0c4a1f8e3d2c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291"])
    value_encoding: Literal["hex", "utf-8"] | None = Field(None, description="信标值编码", examples=["hex"])


class DrawRecordOut(BaseModel):
    """The public record of a draw at its current stage (announced → closed → drawn); fields of a later stage are
    absent before it. `python -m shared.lottery verify` checks it from this document alone."""

    format: Literal["codelink-lottery-draw/v1"] = Field(description="记录格式版本")
    lottery: str = Field(description="期次（北京时间月份）", examples=["2026-12"])
    close_time: str = Field(description="截止时间（ISO 8601，北京时间）", examples=["2027-01-01T00:00:00+08:00"])
    commitment: str = Field(description="种子的 SHA-256 承诺（截止前公布）",
                            examples=["3b5d5c3712955042212316173ccf37be800f9e2e6b8d3e7a6c2b3a1f0e9d8c7b"])
    beacon: BeaconOut = Field(description="公共随机信标")
    k: int = Field(description="中奖人数", examples=[3])
    entry_count: int | None = Field(None, description="参与人数（截止后）", examples=[2])
    ticket_total: int | None = Field(None, description="抽奖券总数（截止后）", examples=[3])
    entry_digest: str | None = Field(None, description="规范化参与名单的摘要（截止后）",
                                     examples=["a3f1c2d4e5b6a7980f1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6978"])
    entries: list[list[int]] | None = Field(None, description="参与名单 [[用户 ID, 抽奖券数] …]（截止后）",
                                            examples=[[[1001, 2], [1002, 1]]])
    entries_url: str | None = Field(None, description="参与名单另行发布时的地址")
    winners: list[int] | None = Field(None, description="中奖用户 ID（按名次，开奖后）", examples=[[1002, 1001]])
    seed: str | None = Field(None, description="揭晓的种子（开奖后公布）",
                             examples=["00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"])


class DrawSummary(BaseModel):
    id: int = Field(description="抽奖期次 ID")
    lottery: str = Field(description="期次，如 2026-12")
    state: Literal["announced", "closed", "drawn"] = Field(
        description="announced 已公布承诺 / closed 已截止 / drawn 已开奖")
    close_time: datetime = Field(description="截止时间")


class DrawList(BaseModel):
    items: list[DrawSummary] = Field(description="抽奖期次（新的在前）")


class MyTickets(BaseModel):
    lottery: str = Field(description="当前期次")
    tickets: int = Field(description="我在本期的抽奖券数")
