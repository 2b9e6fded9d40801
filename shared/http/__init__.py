"""HTTP for Function URL events: routing, validation, auth, error shaping and the OpenAPI document."""
