// The live view: the caller's vehicles where they are now (GET /v1/live/vehicles, every
// second), coloured by how their flights conform, and the list of live alerts in view
// (off plan or silent) — a municipality sees those inside its jurisdiction.
import { api } from './api.js';
import { escapeHtml, render, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const EVERY_MS = 1000;
const MAX_DEG2 = 0.01; // the endpoint's largest bbox
export const STATE_COLORS = {
  activated: '#1a9850', nonconforming: '#f08a00', contingent: '#d7191c', lost: '#7b7b7b', none: '#2f7fd8',
};

// The view's bbox, shrunk about its centre to what one request may ask for.
function viewBox(map) {
  const b = map.getBounds();
  let [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  const area = (e - w) * (n - s);
  if (area > MAX_DEG2) {
    const k = Math.sqrt(MAX_DEG2 / area) * 0.999;
    const [cx, cy] = [(w + e) / 2, (s + n) / 2];
    [w, e, s, n] = [cx - (cx - w) * k, cx + (e - cx) * k, cy - (cy - s) * k, cy + (n - cy) * k];
  }
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(w, -180, 180), clamp(s, -85, 85), clamp(e, -180, 180), clamp(n, -85, 85)];
}

function colorExpression() {
  return ['case', ['get', 'lost'], STATE_COLORS.lost,
    ['match', ['coalesce', ['get', 'conformance'], 'none'],
      'activated', STATE_COLORS.activated, 'nonconforming', STATE_COLORS.nonconforming,
      'contingent', STATE_COLORS.contingent, STATE_COLORS.none]];
}

function alertRow(f) {
  const p = f.properties;
  const state = p.lost && p.conformance !== 'contingent' ? 'lost' : p.conformance;
  const time = new Date(p.time).toLocaleTimeString();
  return `<li class="alert alert-${state}" data-vehicle="${escapeHtml(p.vehicle_id)}">
    <span class="swatch" style="background:${STATE_COLORS[state] || STATE_COLORS.none}"></span>
    <b>${escapeHtml(p.name)}</b> ${escapeHtml(t(`live.state.${state}`))} · ${escapeHtml(time)}</li>`;
}

export function setupLive(map) {
  map.addSource('live', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'live-vehicles', type: 'circle', source: 'live',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 4, 18, 9],
      'circle-color': colorExpression(),
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
    },
  });
  const panel = $('live-panel');
  const list = $('live-alerts');
  let features = [];
  const show = () => {
    const alerts = features.filter((f) => f.properties.alert);
    panel.dataset.vehicles = String(features.length);
    panel.dataset.alerts = String(alerts.length);
    render(list, () => (alerts.length ? alerts.map(alertRow).join('') : `<li class="hint">${escapeHtml(t('live.no_alerts'))}</li>`));
    render($('live-count'), () => escapeHtml(t('live.count', { n: features.length })));
  };
  list.addEventListener('click', (e) => {
    const id = e.target.closest('li')?.dataset.vehicle;
    const f = features.find((g) => g.properties.vehicle_id === id);
    if (f) map.flyTo({ center: f.geometry.coordinates.slice(0, 2), zoom: Math.max(map.getZoom(), 16) });
  });
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const data = await api('/v1/live/vehicles', { params: { bbox: viewBox(map).map((v) => v.toFixed(6)).join(',') } });
      features = data.features;
      map.getSource('live').setData(data);
      panel.dataset.error = '';
      show();
    } catch (err) {
      panel.dataset.error = err.message;
    } finally {
      busy = false;
    }
  };
  show();
  poll();
  setInterval(poll, EVERY_MS);
  map.on('moveend', poll);
}
