"""The registry services, one module per resource: keyword-only functions taking the session."""
