"""Cloud function `payments` (Function URL): funding a task's escrow, orders, the WeChat Pay webhook
(/payments/notify), the platform budget, and platform tasks (routes of the tasks area, composed in here)."""

from shared.payments.routes import router
from shared.runtime import bootstrap, http_function
from shared.tasks.admin_routes import platform_router

router.routes.extend(platform_router.routes)
bootstrap()
main_handler = http_function(router)
