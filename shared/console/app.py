"""The console's route table, for functions/admin/index.py to compose into the admin function. Importing a page
module registers its routes and its side-bar entry; they are imported by name (not by a loop over strings) so the
deploy check's import graph sees every page and what it needs."""

from __future__ import annotations

from shared.console import web
from shared.console.pages import (  # noqa: F401 - imported for their routes
    assets,
    audit,
    badges,
    challenges,
    community,
    dashboard,
    disputes,
    growth,
    login,
    mentor_challenges,
    money,
    reports,
    rules,
    tasks,
    users,
)

router = web.router
