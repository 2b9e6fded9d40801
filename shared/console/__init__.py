"""The operators' web console (issue 11): server-rendered pages served by the `admin` function at /admin/console —
Jinja2 templates, htmx for partial updates, ECharts for the dashboard (vendored static files, no Node build step).

An entry-point layer like functions/: it may call any area's use cases and read any area's tables (read-only: every
write goes through a use case, which audits it), and nothing in shared/ imports it (tests/unit/test_architecture.py).

    web.py      routes as pages: session cookie, CSRF, HTML answers and errors, the side bar
    render.py   Jinja2 (imported on the first render only), filters: yuan, bj (Beijing time), pct …
    static.py   /admin/console/static/<file>?v=<hash> (htmx, ECharts, console.css/js)
    labels.py   Chinese names of events, audited actions, statuses
    pages/      one module per page; pages/__init__.py lists them
    templates/  base.html (the frame), one template per page, partials/ for the panels htmx swaps

Adding a page for a new area (e.g. badges), the whole recipe:
  1. shared/console/pages/badges.py:  `web.nav("badges", "徽章", "/badges", order=60)` and handlers decorated with
     `@web.get("/badges", nav="badges")` / `@web.post("/badges/{key:str}/preview")`, each calling the area's use
     cases or queries and returning `web.html(page, "badges.html", ...)` or `web.partial(page, "partials/…", back=…)`;
  2. templates/badges.html (`{% extends "base.html" %}`) and its partials; forms carry
     `{% include "partials/csrf.html" %}` (htmx requests carry the header by themselves);
  3. import it in shared/console/app.py (the list of pages);
  4. tests/e2e/test_console*.py: a test that walks the page and performs its actions in the browser. The refusal
     tests (logged out, not an admin, no CSRF token) already cover every route the router knows.
"""
