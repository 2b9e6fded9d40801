"""Pure rules of the community area: like idempotence, who may see a post, tags."""

from __future__ import annotations

MAX_TAGS = 5


def like_delta(liked_before: bool, like: bool) -> int:
    """The change to a post's like count when a user asks to like (`like=True`) or unlike it: liking twice or
    unliking what was never liked changes nothing."""
    if like == liked_before:
        return 0
    return 1 if like else -1


def can_view(status: str, viewer_id: int | None, author_id: int, viewer_is_admin: bool) -> bool:
    """A visible post is public; a hidden one only to its author and to operators."""
    return status == "visible" or viewer_is_admin or (viewer_id is not None and viewer_id == author_id)


def clean_tags(tags: list[str]) -> list[str]:
    """Trimmed, lower-cased, de-duplicated in order, empty ones dropped, at most MAX_TAGS."""
    seen: list[str] = []
    for tag in tags:
        t = tag.strip().lower()
        if t and t not in seen:
            seen.append(t)
    return seen[:MAX_TAGS]
