"""Request and response shapes of the community routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=2000, description="帖子正文（经内容安全检测）")
    tags: list[str] = Field(default_factory=list, max_length=10, description="话题标签（最多保留 5 个）")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=500, description="评论内容（经内容安全检测）")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="举报理由")


class ModerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=200, description="处理理由（会告知作者）")


class FeedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author_id: int | None = Field(None, ge=1, description="只看该用户的帖子")
    cursor: str | None = Field(None, max_length=200, description="分页游标：上一页的 next_cursor")
    limit: int = Field(20, ge=1, le=50, description="每页条数")


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, max_length=200, description="分页游标：上一页的 next_cursor")
    limit: int = Field(20, ge=1, le=50, description="每页条数")


class PostOut(BaseModel):
    id: int = Field(description="帖子 ID")
    author_id: int = Field(description="作者用户 ID")
    author_name: str = Field(description="作者昵称")
    body: str = Field(description="帖子正文")
    tags: list[str] = Field(description="话题标签")
    status: str = Field(description="visible：显示中；hidden：已被隐藏（仅作者和管理员可见）")
    like_count: int = Field(description="点赞数")
    comment_count: int = Field(description="评论数")
    liked_by_me: bool = Field(description="当前用户是否已点赞")
    created_at: datetime = Field(description="发布时间")


class AdminPostOut(PostOut):
    report_count: int = Field(description="被举报次数")
    hidden_reason: str = Field(description="隐藏原因")


class PostList(BaseModel):
    items: list[PostOut] = Field(description="帖子列表")
    next_cursor: str | None = Field(None, description="下一页游标；没有更多时为空")


class AdminPostList(BaseModel):
    items: list[AdminPostOut] = Field(description="被举报的帖子")


class LikeOut(BaseModel):
    post_id: int = Field(description="帖子 ID")
    liked: bool = Field(description="当前用户是否已点赞")
    like_count: int = Field(description="点赞数")


class CommentOut(BaseModel):
    id: int = Field(description="评论 ID")
    post_id: int = Field(description="帖子 ID")
    author_id: int = Field(description="评论者用户 ID")
    author_name: str = Field(description="评论者昵称")
    body: str = Field(description="评论内容")
    created_at: datetime = Field(description="评论时间")


class CommentList(BaseModel):
    items: list[CommentOut] = Field(description="评论列表（先发的在前）")
    next_cursor: str | None = Field(None, description="下一页游标；没有更多时为空")


class ReportOut(BaseModel):
    post_id: int = Field(description="帖子 ID")
    reported: bool = Field(description="已举报（重复举报只记一次）")
