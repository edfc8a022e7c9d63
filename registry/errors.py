"""The one exception root of the registry and its subclasses (no HTTP here)."""

from __future__ import annotations


class RegistryError(Exception):
    """A registry operation failed; the message says why and names the bad value."""


class NotFound(RegistryError):
    """The object does not exist or is not visible to the caller."""


class Conflict(RegistryError):
    """The operation conflicts with existing data (duplicate name, serial, ...)."""


class Taken(Conflict):
    """A unique value is already in use; ``field`` names it, ``problem_extra`` may name the
    holder (e.g. ``vehicle_id``) where the caller may know it."""

    def __init__(self, message: str, *, field: str, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.problem_extra = extra or {}


class Forbidden(RegistryError):
    """The caller's role or grant does not allow this operation; ``field`` names the value
    refused when one is, ``problem_extra`` adds members to the problem (e.g. a maximum)."""

    def __init__(
        self, message: str, *, field: str | None = None, extra: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problem_extra = extra or {}


class InvalidInput(RegistryError, ValueError):
    """An argument is invalid; ``field`` names it when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Gone(RegistryError):
    """What was asked for existed once and was dropped (events past their retention);
    ``field`` names the argument that pointed at it."""

    def __init__(self, message: str, *, field: str | None = None, reason: str = "gone") -> None:
        super().__init__(message)
        self.field = field
        self.problem_extra = {"reason": reason}


class Unauthenticated(RegistryError):
    """A bearer token is missing, unknown or revoked."""


class InvalidFields(InvalidInput):
    """Several arguments are invalid together; ``errors`` names each ``(field, reason)``."""

    def __init__(self, message: str, *, errors: list[tuple[str, str]]) -> None:
        super().__init__(message, field=errors[0][0] if errors else None)
        self.errors = errors

    @property
    def problem_extra(self) -> dict[str, list[dict[str, str]]]:
        """The problem body's ``errors``: every field and its reason."""
        return {"errors": [{"field": f, "reason": r} for f, r in self.errors]}


class PreconditionFailed(RegistryError):
    """The caller's expected version of the object is not its current one."""


class PreconditionRequired(RegistryError):
    """The operation changes an object only against an expected version, and none was given."""
