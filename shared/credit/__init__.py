"""Credit profiles and reputation (issue 12): derived from the event log, recomputed on events and nightly."""
