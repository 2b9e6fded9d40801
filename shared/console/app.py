"""The console's route table, for functions/admin/index.py to compose into the admin function."""

from __future__ import annotations

import importlib

from shared.console import web
from shared.console.pages import PAGES

for _name in PAGES:
    importlib.import_module(f"shared.console.pages.{_name}")

router = web.router
