"""The one exception root of the spatial ID library."""


class SpatialIdError(ValueError):
    """A spatial ID, coordinate or geometry is invalid; the message names the bad value.

    ``field`` names the offending argument when one is to blame (``"z"``, ``"f"``, ``"x"``
    or ``"y"`` for a voxel index), else None.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TooManyVoxels(SpatialIdError):
    """A cover would exceed the caller's ``max_voxels``; ``count`` is a lower bound."""

    def __init__(self, count: int, cap: int) -> None:
        super().__init__(f"the cover has at least {count} voxels, over max_voxels={cap}")
        self.count = count
        self.cap = cap
