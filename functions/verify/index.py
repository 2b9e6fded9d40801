"""Cloud function `verify` (Function URL): the public growth-report verify page (HTML) the reports' QR codes point at.
Core layer only: no rendering, no COS."""

from shared.reports.verify_routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
