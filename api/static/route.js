// The route panel: pick a vehicle, click origin and destination, POST /v1/routes, draw it in 3D.
import { api, getKey } from './api.js';
import { escapeHtml, render, tHtml } from './i18n.js';
import { voxelFeature } from './spatialid.js';

const MAX_VOXELS = 20000;
const $ = (id) => document.getElementById(id);

function fmtTime(iso) {
  return iso ? new Date(iso).toISOString().replace('.000Z', 'Z') : '';
}

// GeoJSON of a route answer: one voxel polygon per spatial ID and the line itself.
export function routeFeatures(route) {
  const ids = (route.spatial_ids || []).slice(0, MAX_VOXELS);
  const voxels = ids.map((s, i) => voxelFeature(typeof s === 'string' ? s : s.id, {
    order: ids.length > 1 ? i / (ids.length - 1) : 0,
    kind: 'route', time_start: s.time_start, time_end: s.time_end,
  }));
  const line = route.geometry ? [{ type: 'Feature', geometry: route.geometry, properties: { kind: 'route-line' } }] : [];
  return { type: 'FeatureCollection', features: [...voxels, ...line] };
}

function summary(body, route) {
  const times = route.times || route.properties?.times || [];
  const coords = route.geometry?.coordinates || [];
  const rows = coords.slice(0, 12).map((c, i) =>
    `<tr><td>${c[2]?.toFixed?.(0) ?? ''} m</td><td>${escapeHtml(fmtTime(times[i]))}</td></tr>`).join('');
  const reservation = body.reservation?.id || body.reservation_id;
  return `<table>
    <tr><th>${tHtml('route.length')}</th><td>${Number(route.length_m ?? 0).toFixed(0)} m</td></tr>
    <tr><th>${tHtml('route.departure')}</th><td>${escapeHtml(fmtTime(route.departure))}</td></tr>
    <tr><th>${tHtml('route.arrival')}</th><td>${escapeHtml(fmtTime(route.arrival))}</td></tr>
    <tr><th>${tHtml('route.voxels')}</th><td>${(route.spatial_ids || []).length}</td></tr>
    ${reservation ? `<tr><th>${tHtml('route.reserved')}</th><td>${escapeHtml(reservation)}</td></tr>` : ''}
  </table>
  <h4>${tHtml('route.vertices')}</h4><table class="times">${rows}</table>
  ${coords.length > 12 ? `<p class="muted">${tHtml('route.more', { n: coords.length - 12 })}</p>` : ''}`;
}

export function setupRoute(map, maplibregl, { getTime, setTime, setMode, refreshTiles }) {
  const points = [];
  const markers = [];
  const out = $('route-out');
  const vehicle = $('route-vehicle');
  const say = (key, params) => render(out, () => tHtml(key, params));

  async function loadVehicles() {
    if (!getKey()) return;
    try {
      const page = await api('/v1/vehicles', { params: { limit: 100 } });
      vehicle.innerHTML = page.items.map((v) =>
        `<option value="${v.id}" data-kind="${v.kind}">${escapeHtml(v.name)} (${v.kind})</option>`).join('');
      vehicle.dispatchEvent(new Event('change'));
    } catch (err) {
      say('route.vehicles_error', { msg: err.message });
    }
  }

  vehicle.addEventListener('change', () => {
    const kind = vehicle.selectedOptions[0]?.dataset.kind;
    const alt = kind === 'drone' ? 60 : 0;
    $('route-alt-origin').value = alt;
    $('route-alt-destination').value = alt;
  });

  $('route-pick').addEventListener('click', () => {
    points.length = 0;
    markers.splice(0).forEach((m) => m.remove());
    setMode('route');
    say('route.click_origin');
  });

  map.on('click', (e) => {
    if ($('app').dataset.mode !== 'route' || points.length >= 2) return;
    points.push(e.lngLat);
    const color = points.length === 1 ? '#1e9e4a' : '#c0392b';
    markers.push(new maplibregl.Marker({ color }).setLngLat(e.lngLat).addTo(map));
    if (points.length === 1) say('route.click_destination');
    else {
      say('route.ready');
      setMode('inspect');
    }
    $('route-go').disabled = points.length < 2;
  });

  $('route-go').addEventListener('click', async () => {
    if (points.length < 2) return;
    const alt = (id) => Number($(id).value) || 0;
    const departure = new Date(Math.max(getTime().getTime(), Date.now() + 60_000));
    const body = {
      vehicle_id: vehicle.value,
      origin: { lng: points[0].lng, lat: points[0].lat, alt: alt('route-alt-origin') },
      destination: { lng: points[1].lng, lat: points[1].lat, alt: alt('route-alt-destination') },
      departure_time: departure.toISOString(),
      reserve: $('route-reserve').checked,
    };
    if ($('route-zoom').value) body.zoom = Number($('route-zoom').value);
    say('route.planning');
    try {
      const answer = await api('/v1/routes', { method: 'POST', body });
      const route = answer.route || answer;
      const data = routeFeatures(route);
      map.getSource('route').setData(data);
      $('route-panel').dataset.routeFeatures = String(data.features.length);
      render(out, () => summary(answer, route));
      if (route.departure) setTime(new Date(route.departure));
      if (body.reserve) refreshTiles();
    } catch (err) {
      say('route.none', { msg: err.message });
    }
  });

  $('route-clear').addEventListener('click', () => {
    points.length = 0;
    markers.splice(0).forEach((m) => m.remove());
    map.getSource('route').setData({ type: 'FeatureCollection', features: [] });
    $('route-panel').dataset.routeFeatures = '0';
    $('route-go').disabled = true;
    render(out, () => '');
  });

  loadVehicles();
}
