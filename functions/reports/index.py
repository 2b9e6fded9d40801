"""Cloud function `reports` (Function URL): growth reports (the month so far, my reports, downloads), the public
resume card page and its share link and mini-program code, and the operators' cohort runs. Mounts the reports layer
(fpdf2, fonts, boto3 for COS)."""

from shared.reports.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
