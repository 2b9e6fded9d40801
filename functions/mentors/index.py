"""Cloud function `mentors` (Function URL): mentor challenges — real-name records, challenges, enrolment,
deliverables, reviews and recommendation letters."""

from shared.mentors.routes import router
from shared.runtime import bootstrap, http_function

bootstrap()
main_handler = http_function(router)
