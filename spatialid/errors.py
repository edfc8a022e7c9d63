"""The one exception root of the spatial ID library."""


class SpatialIdError(ValueError):
    """A spatial ID, coordinate or geometry is invalid; the message names the bad value."""
