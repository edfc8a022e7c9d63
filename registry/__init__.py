"""The registry: SQLAlchemy 2 + GeoAlchemy2 models and services on PostGIS."""
