// The live wall: server-sent events bring new cases, alarms and moves; the counts are
// fetched again (at most every 2 s) when something moved, and every 30 s anyway so that
// yellow and red cards appear as deadlines pass.
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  const wall = document.getElementById('wall');
  if (!wall) return;
  const feed = document.getElementById('feed');
  const alarms = document.getElementById('alarms');
  const state = document.getElementById('live-state');
  const csrf = (document.querySelector('[name=csrfmiddlewaretoken]') || {}).value || '';
  const seen = new Set();
  let lastId = parseInt(wall.dataset.last || '0', 10);
  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
  const caseUrl = (n) => '/cases/' + encodeURIComponent(n) + '/';

  function alarmRow(a) {
    const d = document.createElement('div');
    d.className = 'alarm'; d.dataset.case = a.case_id;
    d.innerHTML = '<strong>' + tr('一键报警') + '</strong>' + ' ' + '<a href="' + caseUrl(a.number) + '">' + esc(a.number) + '</a> ' + esc(a.title) +
      ' <span class="muted">' + esc(tr(a.status_label)) + '</span> <button type="button" class="take" data-case="' + esc(a.case_id) + '">' + tr('接警') + '</button>';
    return d;
  }
  function addFeed(kind, e) {
    const empty = feed.querySelector('.empty'); if (empty) empty.remove();
    const li = document.createElement('li');
    li.className = kind + ' fresh';
    li.innerHTML = '<span class="tag">' + (kind === 'alarm' ? tr('报警') : esc(tr(e.channel_label))) + '</span> <a href="' + caseUrl(e.number) + '">' + esc(e.number) + '</a> ' + esc(e.title);
    feed.prepend(li);
    while (feed.children.length > 50) feed.lastElementChild.remove();
  }
  function setCounts(s) {
    for (const k of ['new', 'in_progress', 'yellow', 'red', 'today_new', 'today_closed']) {
      const el = document.getElementById('c-' + k); if (el) el.textContent = s[k];
    }
    const row = (r, name) => '<tr><td>' + esc(name) + '</td><td class="num">' + r.open + '</td><td class="num">' + r.yellow + '</td><td class="num red-n">' + r.red + '</td></tr>';
    document.querySelector('#by-tier tbody').innerHTML = s.by_tier.map((t) => row(t, tr(t.label))).join('');
    document.querySelector('#by-unit tbody').innerHTML = s.by_unit.length ? s.by_unit.map((u) => row(u, u.unit_name)).join('') : '<tr>' + '<td colspan="4" class="muted">' + tr('暂无在办诉求') + '</td>' + '</tr>';
    document.getElementById('updated-at').textContent = tr('更新于 {time}', {time: new Date(s.at).toLocaleTimeString(document.documentElement.lang || 'zh-CN')});
  }
  let pending = null, lastFetch = 0;
  function refresh() {
    if (pending) return;
    const wait = Math.max(0, 2000 - (Date.now() - lastFetch));
    pending = setTimeout(() => {
      lastFetch = Date.now();
      fetch(wall.dataset.summary, {credentials: 'same-origin'}).then((r) => r.ok ? r.json() : null).then((j) => {
        pending = null;
        if (!j) return;
        setCounts(j.summary);
        const keep = new Set(j.alarms.map((a) => String(a.case_id)));
        alarms.querySelectorAll('.alarm').forEach((el) => { if (!keep.has(el.dataset.case)) el.remove(); });
        const have = new Set([...alarms.querySelectorAll('.alarm')].map((el) => el.dataset.case));
        j.alarms.forEach((a) => { if (!have.has(String(a.case_id))) alarms.append(alarmRow(a)); });
      }).catch(() => { pending = null; });
    }, wait);
  }
  alarms.addEventListener('click', (ev) => {
    const b = ev.target.closest('.take'); if (!b) return;
    b.disabled = true;
    fetch(wall.dataset.take.replace('/0/', '/' + b.dataset.case + '/'), {method: 'POST', credentials: 'same-origin', headers: {'X-CSRFToken': csrf}})
      .then((r) => r.json()).then((j) => {
        const row = b.closest('.alarm');
        if (j.taken === false) b.textContent = tr('已由{by}接警', {by: j.by});
        if (row) row.remove();
        refresh();
      }).catch(() => { b.disabled = false; });
  });
  function connect() {
    const es = new EventSource(wall.dataset.stream + '?after=' + lastId);
    const seenId = (ev) => { const id = parseInt(ev.lastEventId || '0', 10); if (id) { if (seen.has(id)) return false; seen.add(id); lastId = Math.max(lastId, id); } return true; };
    es.onopen = () => { state.textContent = tr('● 实时'); state.classList.add('on'); };
    es.onerror = () => { state.textContent = tr('● 重新连接中'); state.classList.remove('on'); };
    es.addEventListener('new', (ev) => { if (!seenId(ev)) return; addFeed('new', JSON.parse(ev.data)); refresh(); });
    es.addEventListener('alarm', (ev) => {
      if (!seenId(ev)) return;
      const e = JSON.parse(ev.data);
      addFeed('alarm', e);
      if (!alarms.querySelector('[data-case="' + e.case_id + '"]')) alarms.prepend(alarmRow(e));
      refresh();
    });
    es.addEventListener('taken', (ev) => {
      if (!seenId(ev)) return;
      const e = JSON.parse(ev.data);
      const row = alarms.querySelector('[data-case="' + e.case_id + '"]'); if (row) row.remove();
    });
    es.addEventListener('move', (ev) => { if (seenId(ev)) refresh(); });
  }
  connect();
  setInterval(refresh, 30000);
})();
