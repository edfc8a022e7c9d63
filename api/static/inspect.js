// Clicking the map: the spatial ID of the clicked voxel, its altitude range and what occupies it.
import { api, getKey } from './api.js';
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
  return rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('');
}

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
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
  if (!occ.cells.length) return '<p class="muted">Free at this moment (no reservation, restriction or obstacle).</p>';
  return occ.cells.map((c) => {
    const kinds = Object.entries(c.kinds || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
    const owners = (c.owners || []).map((o) => `${o.kind} ${o.operator_name || o.id}`).filter(Boolean).join(', ');
    return `<p><b>Occupied</b> — ${escapeHtml(kinds)}${owners ? `<br>owners: ${escapeHtml(owners)}` : ''}</p>`;
  }).join('');
}

export function setupInspect(map, { getTime, isActive }) {
  const out = document.getElementById('inspect-out');
  const altInput = document.getElementById('inspect-alt');
  map.on('click', async (e) => {
    if (!isActive()) return;
    const layers = CLICKABLE.filter((l) => map.getLayer(l));
    const feature = map.queryRenderedFeatures(e.point, { layers })[0];
    const alt = altitudeOf(feature, Number(altInput.value) || 0);
    const z = idZoom(map);
    const local = lngLatAltToId(e.lngLat.lng, e.lngLat.lat, alt, z);
    out.innerHTML = `<p>Looking up ${escapeHtml(local.id)}…</p>`;
    try {
      const voxel = await api(`/v1/spatial-ids/${local.id}`);
      const p = voxel.properties;
      map.getSource('inspected').setData(voxel);
      let html = `<p class="sid" data-testid="spatial-id">${escapeHtml(p.id)}</p>` +
        `<table>${table([
          ['altitude', `${p.altitude_lower.toFixed(1)} – ${p.altitude_upper.toFixed(1)} m (${p.altitude_datum})`],
          ['zoom', `${p.zoom} (voxel ${p.height_m} m tall)`],
          ['parent', p.parent],
        ])}</table>`;
      if (feature) {
        const rows = SHOWN.filter((k) => feature.properties[k] !== undefined).map((k) => [k, feature.properties[k]]);
        html += `<h4>Clicked feature (${escapeHtml(feature.layer.id)})</h4><table>${table(rows)}</table>`;
      }
      if (getKey()) {
        html += '<h4>Occupancy at the chosen time</h4><div id="inspect-occ">…</div>';
        out.innerHTML = html;
        try {
          document.getElementById('inspect-occ').innerHTML = occupancyHtml(await occupancyOf(p, getTime()));
        } catch (err) {
          document.getElementById('inspect-occ').textContent = err.message;
        }
      } else {
        out.innerHTML = html + '<p class="muted">Paste an API key to see what occupies it.</p>';
      }
    } catch (err) {
      out.textContent = err.message;
    }
  });
}
