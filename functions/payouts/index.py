"""Cloud function `payouts` (Function URL): the developer's payouts, payable balance and withdrawals."""

from shared.payouts.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
