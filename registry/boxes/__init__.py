"""Leaf-zoom boxes: IDs and geometries to boxes, box SQL, blockers, area locks, grid arithmetic."""
