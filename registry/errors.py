"""The one exception root of the registry and its subclasses (no HTTP here)."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry operation failed; the message says why and names the bad value."""


class NotFound(RegistryError):
    """The object does not exist or is not visible to the caller."""


class Conflict(RegistryError):
    """The operation conflicts with existing data (duplicate name, serial, ...)."""


class Forbidden(RegistryError):
    """The caller's role does not allow this operation."""


class InvalidInput(RegistryError, ValueError):
    """An argument is invalid; ``field`` names it when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthenticated(RegistryError):
    """A bearer token is missing, unknown or revoked."""


class PreconditionFailed(RegistryError):
    """The caller's expected version of the object is not its current one."""


class PreconditionRequired(RegistryError):
    """The operation changes an object only against an expected version, and none was given."""
