// The map style: a plain background, the city's roads and buildings, and the voxel layers.
export const ATTRIBUTION = '© OpenStreetMap contributors (ODbL)';
const EMPTY = { type: 'FeatureCollection', features: [] };

// One entry per legend row: the layers it toggles, its colour and whether it needs a key.
export const KINDS = [
  { id: 'obstacles', color: '#b9ada0', layers: ['obstacles'] },
  { id: 'restrictions', color: '#e0413c', layers: ['restrictions'], needsKey: true },
  { id: 'reservations', color: '#2f7fd8', layers: ['reservations'], needsKey: true },
  { id: 'route', color: '#f08a00', layers: ['route-voxels', 'route-line'], needsKey: true },
  { id: 'vehicles', color: '#1a9850', layers: ['live-vehicles'], needsKey: true },
  { id: 'roads', color: '#8a8f98', layers: ['roads-walk', 'roads-drive'] },
];

export const KEY_LAYERS = ['restrictions', 'reservations']; // /v1/tiles, live at the slider's time
export const CLICKABLE = ['live-vehicles', 'route-voxels', 'reservations', 'restrictions', 'obstacles'];

export function tileUrl(layer, time) {
  const t = encodeURIComponent(time.toISOString());
  return `${location.origin}/v1/tiles/${layer}/{z}/{x}/{y}.mvt?time=${t}`;
}

function extrusion(id, color, opacity, extra = {}) {
  return {
    id, type: 'fill-extrusion', source: id, 'source-layer': id,
    paint: {
      'fill-extrusion-color': color,
      'fill-extrusion-base': ['coalesce', ['get', 'altitude_lower'], 0],
      'fill-extrusion-height': ['coalesce', ['get', 'altitude_upper'], 0],
      'fill-extrusion-opacity': opacity,
      ...extra,
    },
  };
}

export function baseStyle() {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } }],
  };
}

// The public city, shown without a key: roads (GeoJSON, loaded by app.js) and buildings.
export function addCityLayers(map) {
  map.addSource('obstacles', {
    type: 'vector', tiles: [`${location.origin}/v1/map/obstacles/{z}/{x}/{y}.mvt`],
    minzoom: 12, maxzoom: 16, attribution: ATTRIBUTION,
  });
  map.addSource('roads', { type: 'geojson', data: EMPTY });
  const road = (id, filter, color, width) => ({
    id, type: 'line', source: 'roads', filter,
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: { 'line-color': color, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, width / 3, 18, width * 2] },
  });
  map.addLayer(road('roads-walk', ['!', ['get', 'drive']], '#b7bcc4', 1.5));
  map.addLayer(road('roads-drive', ['get', 'drive'], '#8a8f98', 3));
  map.addLayer(extrusion('obstacles', '#b9ada0', 0.92));
}

// What needs the API key: restrictions and reservations live at `time` (vector tiles).
export function addKeyLayers(map, time) {
  for (const layer of KEY_LAYERS) {
    map.addSource(layer, { type: 'vector', tiles: [tileUrl(layer, time)], minzoom: 12, maxzoom: 16 });
  }
  map.addLayer(extrusion('restrictions', '#e0413c', 0.3));
  map.addLayer(extrusion('reservations', '#2f7fd8', 0.65));
}

// Sources and layers of what the page itself draws: route, restriction draft, inspected voxel.
export function addLocalLayers(map) {
  for (const id of ['route', 'draft', 'inspected']) map.addSource(id, { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'route-voxels', type: 'fill-extrusion', source: 'route',
    filter: ['==', ['geometry-type'], 'Polygon'],
    paint: {
      'fill-extrusion-color': ['interpolate', ['linear'], ['get', 'order'], 0, '#ffc04d', 1, '#d35400'],
      'fill-extrusion-base': ['get', 'altitude_lower'],
      'fill-extrusion-height': ['get', 'altitude_upper'],
      'fill-extrusion-opacity': 0.8,
    },
  });
  map.addLayer({
    id: 'route-line', type: 'line', source: 'route', filter: ['==', ['geometry-type'], 'LineString'],
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: { 'line-color': '#f08a00', 'line-width': 4, 'line-dasharray': [2, 1] },
  });
  map.addLayer({
    id: 'draft-fill', type: 'fill', source: 'draft', filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': '#e0413c', 'fill-opacity': 0.25 },
  });
  map.addLayer({
    id: 'draft-line', type: 'line', source: 'draft', filter: ['!=', ['geometry-type'], 'Point'],
    paint: { 'line-color': '#a31512', 'line-width': 2 },
  });
  map.addLayer({
    id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#a31512', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  });
  map.addLayer({
    id: 'inspected', type: 'fill-extrusion', source: 'inspected',
    paint: {
      'fill-extrusion-color': '#7d3cff',
      'fill-extrusion-base': ['get', 'altitude_lower'],
      'fill-extrusion-height': ['get', 'altitude_upper'],
      'fill-extrusion-opacity': 0.55,
    },
  });
}
