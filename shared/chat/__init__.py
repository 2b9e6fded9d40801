"""Task chat (issue 12). `detection` is the pure off-platform contact detector; the chat tables and use cases build on
it. Nothing is imported here: a function that needs only the detector should not pay for the rest."""
