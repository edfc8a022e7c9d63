// The municipality view: draw a restriction polygon vertex by vertex, POST /v1/restrictions.
import { api } from './api.js';
import { render, t, tHtml } from './i18n.js';

const $ = (id) => document.getElementById(id);

function draftData(vertices) {
  const pts = vertices.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
  const shapes = [];
  if (vertices.length >= 3) {
    shapes.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...vertices, vertices[0]]] } });
  } else if (vertices.length === 2) {
    shapes.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: vertices } });
  }
  return { type: 'FeatureCollection', features: [...shapes, ...pts] };
}

export function setupRestrict(map, { setMode, refreshTiles }) {
  const vertices = [];
  const out = $('restrict-out');
  const say = (key, params) => render(out, () => tHtml(key, params));
  const redraw = () => {
    map.getSource('draft').setData(draftData(vertices));
    $('restrict-submit').disabled = vertices.length < 3;
  };

  $('restrict-draw').addEventListener('click', () => {
    vertices.length = 0;
    redraw();
    setMode('draw');
    say('restrict.click_corners');
  });
  $('restrict-undo').addEventListener('click', () => { vertices.pop(); redraw(); });
  $('restrict-cancel').addEventListener('click', () => {
    vertices.length = 0;
    redraw();
    setMode('inspect');
    render(out, () => '');
  });

  map.on('click', (e) => {
    if ($('app').dataset.mode !== 'draw') return;
    vertices.push([e.lngLat.lng, e.lngLat.lat]);
    redraw();
  });

  $('restrict-submit').addEventListener('click', async () => {
    const body = {
      geometry: { type: 'Polygon', coordinates: [[...vertices, vertices[0]]] },
      altitude_lower: Number($('restrict-lower').value),
      altitude_upper: Number($('restrict-upper').value),
      reason: $('restrict-reason').value.trim() || t('restrict.default_reason'),
    };
    say('restrict.declaring');
    try {
      const made = await api('/v1/restrictions', { method: 'POST', body });
      const hit = made.affected_reservations || [];
      if (hit.length) say('restrict.declared_hit_html', { id: made.id, n: hit.length });
      else say('restrict.declared_html', { id: made.id });
      vertices.length = 0;
      redraw();
      setMode('inspect');
      refreshTiles();
    } catch (err) {
      say('restrict.failed', { msg: err.message });
    }
  });
}
