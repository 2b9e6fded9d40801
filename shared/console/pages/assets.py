"""The console's static files (public: libraries and styles, no data)."""

from __future__ import annotations

from shared.console import static, web


@web.get("/static/{name:str}", public=True)
def asset(page: web.Page) -> web.Answer:
    """控制台静态文件"""
    return static.serve(page.params["name"], page.req.headers.get("accept-encoding", ""))
