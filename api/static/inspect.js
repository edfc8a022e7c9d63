// Clicking the map: the spatial ID of the clicked voxel, its altitude range and what occupies it.
import { api, getKey } from './api.js';
import { escapeHtml, render, t, tHtml } from './i18n.js';
import { lngLatAltToId } from './spatialid.js';
import { CLICKABLE } from './layers.js';

const SHOWN = ['kind', 'id', 'name', 'obstacle_kind', 'reason', 'operator_name', 'state', 'priority',
  'time_start', 'time_end', 'altitude_lower', 'altitude_upper'];

export function idZoom(map) {
  return Math.max(0, Math.min(25, Math.round(map.getZoom()) + 5));
}

// The altitude to inspect: the roof of a building, the middle of a volume, else the input.
function altitudeOf(feature, fallback) {
  if (!feature) return fallback;
  const { altitude_lower: lo = 0, altitude_upper: hi = 0 } = feature.properties;
  if (feature.layer.id === 'obstacles') return Math.max(lo, hi - 0.5);
  return (lo + hi) / 2;
}

function table(rows) {
  return rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
}

async function occupancyOf(props, time) {
  const b = props.bounds;
  const eps = (b.east - b.west) * 1e-3;
  const end = new Date(time.getTime() + 1000);
  return api('/v1/occupancy', {
    params: {
      bbox: [b.west + eps, b.south + eps, b.east - eps, b.north - eps].join(','),
      alt_lower: b.bottom, alt_upper: b.top, zoom: props.zoom,
      time_start: time.toISOString(), time_end: end.toISOString(),
    },
  });
}

function occupancyHtml(occ) {
  if (!occ.cells.length) return `<p class="muted">${tHtml('inspect.free')}</p>`;
  return occ.cells.map((c) => {
    const kinds = Object.entries(c.kinds || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
    const owners = (c.owners || []).map((o) => `${o.kind} ${o.operator_name || o.id}`).filter(Boolean).join(', ');
    return `<p><b>${tHtml('inspect.occupied')}</b> — ${escapeHtml(kinds)}` +
      `${owners ? `<br>${tHtml('inspect.owners')}: ${escapeHtml(owners)}` : ''}</p>`;
  }).join('');
}

// The inspector's HTML for what is known so far (re-rendered when the language changes).
function inspectHtml(s) {
  if (s.error) return `<p>${escapeHtml(s.error)}</p>`;
  if (!s.voxel) return `<p>${tHtml('inspect.looking', { id: s.id })}</p>`;
  const p = s.voxel.properties;
  let html = `<p class="sid" data-testid="spatial-id">${escapeHtml(p.id)}</p>` +
    `<table>${table([
      [t('inspect.altitude'), `${p.altitude_lower.toFixed(1)} – ${p.altitude_upper.toFixed(1)} m (${p.altitude_datum})`],
      [t('inspect.zoom'), t('inspect.voxel_tall', { zoom: p.zoom, h: p.height_m })],
      [t('inspect.parent'), p.parent],
    ])}</table>`;
  if (s.feature) {
    const rows = SHOWN.filter((k) => s.feature.properties[k] !== undefined)
      .map((k) => [t(`field.${k}`), s.feature.properties[k]]);
    const kind = s.feature.layer.id === 'route-voxels' ? 'route' : s.feature.layer.id;
    html += `<h4>${tHtml('inspect.clicked', { layer: t(`kind.${kind}`) })}</h4><table>${table(rows)}</table>`;
  }
  if (!s.withKey) return `${html}<p class="muted">${tHtml('inspect.need_key')}</p>`;
  let occ = '…';
  if (s.occError) occ = escapeHtml(s.occError);
  else if (s.occupancy) occ = occupancyHtml(s.occupancy);
  return `${html}<h4>${tHtml('inspect.occupancy')}</h4><div id="inspect-occ">${occ}</div>`;
}

export function setupInspect(map, { getTime, isActive }) {
  const out = document.getElementById('inspect-out');
  const altInput = document.getElementById('inspect-alt');
  let clicks = 0;
  map.on('click', async (e) => {
    if (!isActive()) return;
    const click = ++clicks; // a later click wins over a slow answer to an earlier one
    const layers = CLICKABLE.filter((l) => map.getLayer(l));
    const feature = map.queryRenderedFeatures(e.point, { layers })[0];
    const alt = altitudeOf(feature, Number(altInput.value) || 0);
    const local = lngLatAltToId(e.lngLat.lng, e.lngLat.lat, alt, idZoom(map));
    const state = { id: local.id, feature, withKey: Boolean(getKey()) };
    const show = () => { if (click === clicks) render(out, () => inspectHtml(state)); };
    show();
    try {
      state.voxel = await api(`/v1/spatial-ids/${local.id}`);
      map.getSource('inspected').setData(state.voxel);
      show();
      if (!state.withKey) return;
      try {
        state.occupancy = await occupancyOf(state.voxel.properties, getTime());
      } catch (err) {
        state.occError = err.message;
      }
    } catch (err) {
      state.error = err.message;
    }
    show();
  });
}
