"""Conflict-free 4D route planning over an occupancy view (imports spatialid only)."""
