// Who is on duty where (last positions), and a worker's track of the day on click.
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  const el = document.getElementById('dutymap');
  if (!el) return;
  const map = L.map(el, {preferCanvas: true});
  window.jicengDutyMap = map;
  const pts = [];
  document.querySelectorAll('#on-duty li[data-lon]').forEach((li) => {
    const lon = parseFloat(li.dataset.lon), lat = parseFloat(li.dataset.lat);
    if (!isFinite(lon) || !isFinite(lat)) return;
    L.circleMarker([lat, lon], {radius: 7, color: '#15803d', fillOpacity: 0.8}).bindTooltip(li.dataset.name, {permanent: true}).addTo(map);
    pts.push([lat, lon]);
  });
  if (pts.length) map.fitBounds(pts, {maxZoom: 15, padding: [30, 30]}); else map.setView([32.9, 108.5], 10);
  let track = null;
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest('.show-track'); if (!b) return;
    fetch(el.dataset.track.replace('/0.json', '/' + b.dataset.user + '.json') + '?day=' + el.dataset.day, {credentials: 'same-origin'})
      .then((r) => r.json()).then((j) => {
        if (track) track.remove();
        if (!j.points || !j.points.length) { alert(tr('当日没有轨迹')); return; }
        track = L.polyline(j.points.map((p) => [p.lat, p.lon]), {color: '#b91c1c', weight: 3}).addTo(map);
        map.fitBounds(track.getBounds(), {padding: [30, 30]});
      });
  });
})();
