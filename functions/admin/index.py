"""Cloud function `admin` (Function URL): the operators' console API: review queue, rules, failed jobs, event replay.
Routes of other areas that belong under /admin are composed in here (the composition root may import any area)."""

from shared.admin.routes import router
from shared.runtime import bootstrap, http_function
from shared.tasks.admin_routes import review_router

router.routes.extend(review_router.routes)
bootstrap()
main_handler = http_function(router)
