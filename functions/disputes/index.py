"""Cloud function `disputes` (Function URL): open a dispute, evidence timeline, the mediators' queue and rulings."""

from shared.disputes.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
