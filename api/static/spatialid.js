// The spatial ID math of DESIGN §1, enough for the map: point -> voxel, voxel -> bounds.
const MAX_LAT = 85.0511287798;
const H = 2 ** 25; // the vertical extent of the ID column in metres

export function lngLatAltToId(lng, lat, alt, z) {
  const n = 2 ** z;
  const clamped = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  const lngN = lng >= 180 ? lng - 360 : lng;
  const rad = (clamped * Math.PI) / 180;
  const x = Math.min(n - 1, Math.floor(((lngN + 180) / 360) * n));
  const yf = ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n;
  const y = Math.max(0, Math.min(n - 1, Math.floor(yf)));
  const f = Math.floor((n * alt) / H);
  return { z, f, x, y, id: `${z}/${f}/${x}/${y}` };
}

export function parseId(text) {
  const [z, f, x, y] = text.split('_')[0].split('/').map(Number);
  return { z, f, x, y };
}

function tileLng(x, z) {
  return (x / 2 ** z) * 360 - 180;
}

function tileLat(y, z) {
  const m = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(m));
}

export function voxelBounds({ z, f, x, y }) {
  const height = H / 2 ** z;
  return {
    west: tileLng(x, z), east: tileLng(x + 1, z),
    north: tileLat(y, z), south: tileLat(y + 1, z),
    bottom: f * height, top: (f + 1) * height,
  };
}

// A GeoJSON polygon Feature of a voxel footprint with its altitude range as properties.
export function voxelFeature(id, properties = {}) {
  const b = voxelBounds(parseId(id));
  const ring = [[b.west, b.south], [b.east, b.south], [b.east, b.north], [b.west, b.north], [b.west, b.south]];
  return {
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: [ring] },
    properties: { id, altitude_lower: b.bottom, altitude_upper: b.top, ...properties },
  };
}
