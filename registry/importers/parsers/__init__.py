"""The importers' file parsers: OSM, GeoJSON, CityGML, road rules to plain values (no database)."""
