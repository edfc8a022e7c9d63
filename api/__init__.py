"""The HTTP API (FastAPI), the CLI and the web map."""
