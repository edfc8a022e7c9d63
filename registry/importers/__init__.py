"""Importers of city data: pure parsers (OSM, GeoJSON, PLATEAU CityGML) and the DB writer."""
