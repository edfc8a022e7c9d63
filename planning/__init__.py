"""Use cases that need both the planner and the database: plan-and-reserve, occupancy, caches."""
