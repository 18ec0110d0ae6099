// The load map: asks for the visible box at the current zoom (never the whole county at
// once), colours each region by its open cases and outlines overdue ones in red.
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  const el = document.getElementById('loadmap');
  if (!el) return;
  const status = document.getElementById('map-status');
  const panel = document.getElementById('region-panel');
  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
  const map = L.map(el, {preferCanvas: true});
  window.jicengLoadMap = map;  // for tests and the console
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, {attribution: el.dataset.attribution || ''}).addTo(map);
  const box = (el.dataset.box || '').split(',').map(Number);
  if (box.length === 4 && box.every(isFinite)) map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
  else map.setView([32.9, 108.5], 10);
  const fill = (n) => n >= 10 ? '#1e3a8a' : n >= 3 ? '#3b82f6' : n >= 1 ? '#93c5fd' : '#eff6ff';
  let layer = null, seq = 0;
  function load() {
    const b = map.getBounds(), my = ++seq;
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
    status.textContent = tr('加载中…');
    fetch(el.dataset.features + '?bbox=' + bbox + '&zoom=' + map.getZoom(), {credentials: 'same-origin'})
      .then((r) => r.json()).then((j) => {
        if (my !== seq) return;  // a newer view was asked for
        if (j.error) { status.textContent = j.error.message; return; }
        if (layer) layer.remove();
        layer = L.geoJSON(j, {
          style: (f) => ({color: f.properties.overdue ? '#dc2626' : '#64748b', weight: f.properties.overdue ? 3 : 1, fillColor: fill(f.properties.open), fillOpacity: 0.7}),
          onEachFeature: (f, lyr) => {
            lyr.bindTooltip(esc(f.properties.name) + '<br>' + tr('在办 {open} · 超期 {overdue}', {open: f.properties.open, overdue: f.properties.overdue}));
            lyr.on('click', () => show(f.properties.code));
          },
        }).addTo(map);
        status.textContent = tr('{n} 个区域', {n: j.features.length}) + (j.truncated ? tr('（区域过多，请放大查看）') : '');
      }).catch(() => { status.textContent = tr('加载失败，请稍后重试'); });
  }
  function show(code) {
    panel.innerHTML = '<p class="muted">' + tr('加载中…') + '</p>';
    fetch(el.dataset.region.replace('/000.json', '/' + code + '.json'), {credentials: 'same-origin'})
      .then((r) => r.json()).then((j) => {
        if (j.error) { panel.innerHTML = '<p class="error">' + esc(j.error.message) + '</p>'; return; }
        const cases = j.open.map((c) => '<li><a href="/cases/' + encodeURIComponent(c.number) + '/">' + esc(c.number) + '</a> ' + esc(c.title) + ' <span class="muted">' + esc(c.status_label) + '</span></li>').join('');
        const staff = j.staff.map((s) => '<li>' + esc(s.name) + ' <span class="muted">' + esc(s.role) + '</span> ' + esc(s.phone) + (s.on_duty ? '' : ' ' + '<span class="badge">' + tr('不在岗') + '</span>') + '</li>').join('');
        panel.innerHTML = '<h2 id="region-name">' + esc(j.name) + '</h2>' + '<h3>' + tr('在办诉求（{n}）', {n: j.open.length}) + '</h3>' + '<ul id="region-cases">' + (cases || '<li class="muted">' + tr('无') + '</li>') + '</ul>' + '<h3>' + tr('网格力量') + '</h3>' + '<ul id="region-staff">' + (staff || '<li class="muted">' + tr('无') + '</li>') + '</ul>';
      });
  }
  map.on('moveend', load);
  load();
})();
