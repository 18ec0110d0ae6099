/* Grid map: draws the grids of one region from the API; no tiles unless configured. */
(function () {
  "use strict";
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var status = document.getElementById("map-status");
  var say = function (t) { if (status) status.textContent = t; };
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var gridUrl = function (code) { return el.dataset.gridUrl.replace("000", code); };
  var esc = function (s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  };
  var KIND = { comprehensive: tr("综合网格"), dedicated: tr("专属网格") };
  var leafs = {};
  var style = function (f) {
    var p = f.properties;
    if (p.kind === "outline") return { color: "#111827", weight: 2.5, dashArray: "6 4", fill: false };
    if (p.kind === "child-outline") return { color: "#6b7280", weight: 1, dashArray: "3 3", fill: false };
    var leaf = leafs[p.code];
    if (p.kind === "dedicated") return { color: "#b45309", weight: 1.5, fillColor: "#f59e0b", fillOpacity: 0.55 };
    if (!leaf) {
      return p.grid_level === 1 ? { color: "#7c3aed", weight: 2.5, fill: false } : { color: "#2563eb", weight: 1.6, fill: false };
    }
    var fills = { 1: "#c4b5fd", 2: "#93c5fd", 3: "#86efac" };
    return { color: "#15803d", weight: 0.8, fillColor: fills[p.grid_level] || "#fde68a", fillOpacity: 0.35 };
  };
  var layers = {};
  var features = [];
  var popup = function (p) {
    var html = "<strong>" + esc(p.name) + "</strong><br>" + esc(p.code) +
      "<br>" + (p.grid_level ? tr("{level}级", {level: p.grid_level}) : "") + esc(KIND[p.kind] || "") +
      (p.dedicated_unit ? tr("（") + esc(p.dedicated_unit) + tr("）") : "") +
      "<br>" + tr("{h} 户 · {p} 人", {h: esc(p.households), p: esc(p.population)}) +
      '<br><a href="' + gridUrl(p.code) + '">' + tr('打开网格页 ›') + '</a>';
    return html;
  };
  say(tr("正在加载网格…"));
  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) return r.json().then(function (b) { throw new Error((b.error && b.error.message) || r.status); });
      return r.json();
    })
    .then(function (data) {
      var codes = data.features.map(function (f) { return f.properties.code; });
      var parents = {};
      codes.forEach(function (c) { if (c.length > 12) parents[c.slice(0, -3)] = true; });
      codes.forEach(function (c) { if (!parents[c]) leafs[c] = true; });
      var layer = L.geoJSON(data, {
        style: style,
        interactive: true,
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          if (p.kind === "outline" || p.kind === "child-outline") { lyr.options.interactive = false; return; }
          if (!leafs[p.code] && p.kind !== "dedicated") lyr.options.interactive = false;
          layers[p.code] = lyr;
          features.push(p);
          lyr.bindPopup(function () { return popup(p); });
          lyr.bindTooltip(esc(p.name), { sticky: true });
        }
      }).addTo(map);
      // Dedicated grids on top, so they stay clickable.
      Object.keys(layers).forEach(function (c) { if (layers[c].feature.properties.kind === "dedicated") layers[c].bringToFront(); });
      var b = layer.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [10, 10] }); else map.setView([32.89, 108.5], 10);
      say(tr("共 {n} 个网格", {n: features.length}));
      el.dataset.loaded = "1";
    })
    .catch(function (e) { say(tr("加载失败：") + e.message); map.setView([32.89, 108.5], 10); });

  var q = document.getElementById("grid-q");
  var list = document.getElementById("search-results");
  var show = function (code) {
    var lyr = layers[code];
    if (!lyr) return;
    map.fitBounds(lyr.getBounds(), { maxZoom: 16, padding: [20, 20] });
    lyr.openPopup(lyr.getBounds().getCenter());
  };
  var search = function () {
    if (!q || !list) return;
    var text = q.value.trim();
    list.innerHTML = "";
    if (!text) { list.hidden = true; return; }
    var hits = features.filter(function (p) { return p.name.indexOf(text) >= 0 || p.code.indexOf(text) === 0; });
    hits.sort(function (a, b) { return (b.grid_level || 0) - (a.grid_level || 0) || (a.code < b.code ? -1 : 1); });
    if (!hits.length) { list.innerHTML = '<li class="muted">' + tr('没有找到“{q}”', {q: esc(text)}) + '</li>'; list.hidden = false; return; }
    hits.slice(0, 30).forEach(function (p) {
      var li = document.createElement("li");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "link";
      btn.textContent = p.name + tr("（{level}级）", {level: p.grid_level || ""});
      btn.addEventListener("click", function () { show(p.code); list.hidden = true; });
      li.appendChild(btn);
      list.appendChild(li);
    });
    if (hits.length > 30) list.insertAdjacentHTML("beforeend", '<li class="muted">' + tr("另有 {n} 个，请输入更完整的名称", {n: hits.length - 30}) + "</li>");
    list.hidden = false;
    if (hits.length === 1) { show(hits[0].code); }
  };
  var form = document.getElementById("grid-search");
  if (form) form.addEventListener("submit", function (e) { e.preventDefault(); search(); });
  if (q) q.addEventListener("input", function () { if (q.value.trim().length >= 2) search(); else if (list) list.hidden = true; });
})();
