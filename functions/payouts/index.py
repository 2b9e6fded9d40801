"""Cloud function `payouts` (Function URL): the developer's payouts, payable balance and withdrawals."""

from shared.payouts.routes import router
from shared.runtime import bootstrap

bootstrap()
main_handler = router.handler
