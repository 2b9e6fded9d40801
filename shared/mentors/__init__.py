"""Mentor challenges (issue 9, the paid tier): mentors, challenges, enrolment with the growth pass, deliverables,
reviews with a score, comment and recommendation letter, and the cash bonus through the ledger. See
docs/COMMUNITY.md."""
