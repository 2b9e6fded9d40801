"""Cloud function `payments` (Function URL): funding a task's escrow, orders, the WeChat Pay webhook
(/payments/notify) and the platform budget."""

from shared.payments.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
