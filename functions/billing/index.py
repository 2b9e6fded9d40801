"""Cloud function `billing` (Function URL): memberships, task promotion (置顶推荐), reconciliation results."""

from shared.billing.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
