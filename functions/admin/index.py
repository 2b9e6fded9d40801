"""Cloud function `admin` (Function URL): the operators' console API — review queue, rules, failed jobs, event replay
(JSON) — and the operators' web console (HTML pages at /admin/console, shared/console). Routes of other areas that
belong under /admin (task review, badges) are composed in here (the composition root may import any area)."""

from shared.admin.routes import router
from shared.badges.routes import admin_router as badges_router
from shared.community.routes import admin_router as community_admin_router
from shared.console.app import router as console_router
from shared.mentors.routes import admin_router as mentors_admin_router
from shared.payments.routes import admin_router as payments_admin_router
from shared.payouts.routes import admin_router as payouts_admin_router
from shared.runtime import bootstrap, http_function
from shared.tasks.admin_routes import review_router

router.routes.extend(review_router.routes)
router.routes.extend(badges_router.routes)
router.routes.extend(community_admin_router.routes)
router.routes.extend(mentors_admin_router.routes)
router.routes.extend(payments_admin_router.routes)
router.routes.extend(payouts_admin_router.routes)
router.routes.extend(console_router.routes)  # importing the pages registers them; Jinja2 loads on the first render
bootstrap()
main_handler = http_function(router)
