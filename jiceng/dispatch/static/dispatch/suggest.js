/* Category suggestions while an operator types (jiceng dispatch).
 *
 * Hook into any intake form with one line after the form:
 *   <script src="{% static 'dispatch/suggest.js' %}" data-form="#hotline-form" defer></script>
 * It reads textarea[name=description] (+ input[name=title] if present) and select[name=region_code],
 * asks POST /api/v1/dispatch/suggest (debounced 350 ms, the last answer wins), shows the top three
 * with their scores and the suggested unit, and a click picks the category in select[name=category]
 * (the form's own control; nothing is submitted by this script). For the acceptance figure it
 * keeps two hidden inputs in the form (made when missing): "suggested" — the first-level
 * categories on screen, best first, joined by "|" — and "suggestion_accepted" — 1 when a
 * suggestion was clicked, 0 when the operator chose by hand after seeing them. The intake
 * view passes both to jiceng.dispatch.services.record_suggestion.
 */
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  'use strict';
  var me = document.currentScript;
  var form = document.querySelector((me && me.dataset.form) || 'form');
  if (!form) return;
  var api = (me && me.dataset.api) || '/api/v1/dispatch/suggest';
  var text = form.querySelector('textarea[name=description]');
  var title = form.querySelector('input[name=title]');
  var region = form.querySelector('[name=region_code]');
  var select = form.querySelector('select[name=category]');
  if (!text) return;
  if (me && me.src && !document.querySelector('link[data-dispatch-css]')) {
    var css = document.createElement('link'); // the chips' style comes with the script
    css.rel = 'stylesheet'; css.href = me.src.replace(/suggest\.js(\?.*)?$/, 'dispatch.css');
    css.setAttribute('data-dispatch-css', '');
    document.head.appendChild(css);
  }
  var box = document.createElement('div');
  box.className = 'dispatch-suggest';
  box.setAttribute('aria-live', 'polite');
  box.hidden = true;
  text.parentNode.insertBefore(box, text.nextSibling);
  var timer = null, seq = 0, shown = null;
  function hidden(name) {
    var f = form.querySelector('input[name=' + name + ']');
    if (!f) { f = document.createElement('input'); f.type = 'hidden'; f.name = name; form.appendChild(f); }
    return f;
  }

  function csrf() {
    var f = form.querySelector('input[name=csrfmiddlewaretoken]');
    if (f) return f.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function say(msg) { box.hidden = false; box.textContent = msg; }
  function pick(code, path) {
    if (!select) return;
    var found = false;
    Array.prototype.forEach.call(select.options, function (o) {
      if (!found && ((code && o.value === code) || o.text === path)) { o.selected = true; found = true; }
    });
    // a suggestion outside this form's list is only added when the county's tree has it
    if (!found && code) { select.add(new Option(path, code)); select.value = code; }
    if (!found && !code) return;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    hidden('suggestion_accepted').value = '1';
  }
  // a suggestion can be picked when the county's tree has it (a code) or this form lists it
  function pickable(code, label) {
    if (code) return true;
    if (!select) return false;
    return Array.prototype.some.call(select.options, function (o) { return o.text === label; });
  }
  function render(d) {
    // Only what the county's own tree has can be picked: a model trained on another tree
    // (its categories come back without a code) must not offer chips that do nothing.
    var usable = d.categories.filter(function (c) { return pickable(c.code, c.category); });
    var items = d.finer.length && pickable(d.finer[0].code, d.finer[0].path) ? [{ label: d.finer[0].path, code: d.finer[0].code, score: null }] : [];
    usable.forEach(function (c) { items.push({ label: c.category, code: c.code, score: c.score }); });
    if (!items.length) { shown = null; hidden('suggested').value = ''; say(tr('暂无建议')); return; }
    box.textContent = '';
    box.hidden = false;
    var h = document.createElement('strong');
    h.textContent = tr('智能分类建议：');
    box.appendChild(h);
    items.forEach(function (it) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'dispatch-chip';
      b.textContent = it.label + (it.score === null ? tr('（细分）') : ' ' + Math.round(it.score * 100) + '%');
      b.addEventListener('click', function () { pick(it.code, it.label); });
      box.appendChild(b);
    });
    if (d.unit) {
      var u = document.createElement('span');
      u.className = 'dispatch-unit';
      u.textContent = tr('建议承办：') + d.unit.name;
      box.appendChild(u);
    }
    shown = d;
    hidden('suggested').value = usable.map(function (c) { return c.category; }).join('|');
  }
  function ask() {
    var t = ((title && title.value) ? title.value + tr('。') : '') + text.value;
    if (t.replace(/\s/g, '').length < 4) { box.hidden = true; return; }
    var mine = ++seq;
    fetch(api, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf() },
      body: JSON.stringify({ text: t.slice(0, 5000), region_code: region ? region.value : '' })
    }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (p) {
        if (mine !== seq) return; // a newer request is on its way
        if (p[0] === 200) render(p[1]);
        else say(p[1].error ? p[1].error.message : tr('暂无建议'));
      }).catch(function () { if (mine === seq) say(tr('建议服务暂不可用')); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, 350); }
  text.addEventListener('input', later);
  if (title) title.addEventListener('input', later);
  if (region) region.addEventListener('change', later);
  if (select) select.addEventListener('change', function (e) {
    if (e.isTrusted && shown) hidden('suggestion_accepted').value = '0';
  });
  if (text.value) later();
})();
