// On duty: watch the position and send the buffered points every `interval` seconds.
// Points that could not be sent stay in the buffer (and localStorage) until they are.
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  const box = document.getElementById('duty');
  if (!box || !box.dataset.on || !navigator.geolocation) return;
  const state = document.getElementById('gps-state');
  const count = document.getElementById('points-today');
  const csrf = (document.querySelector('[name=csrfmiddlewaretoken]') || {}).value || '';
  const KEY = 'jiceng.track.buffer';
  let buf = [];
  try { buf = JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { buf = []; }
  let last = null;
  navigator.geolocation.watchPosition((p) => {
    last = {t: p.timestamp, lon: p.coords.longitude, lat: p.coords.latitude};
    state.textContent = tr('已定位（精度约 {m} 米）', {m: Math.round(p.coords.accuracy)});
  }, () => { state.textContent = tr('未能定位，请打开手机定位'); }, {enableHighAccuracy: true, maximumAge: 10000});
  function send() {
    if (last && (!buf.length || buf[buf.length - 1].t < last.t)) buf.push(last);
    localStorage.setItem(KEY, JSON.stringify(buf.slice(-500)));
    if (!buf.length) return;
    const batch = buf.slice(0, 500);
    fetch(box.dataset.points, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}, body: JSON.stringify({points: batch})})
      .then((r) => r.json()).then((j) => {
        if (j.error) { state.textContent = j.error.message; return; }
        buf = buf.slice(batch.length);  // answered: accepted or refused with a reason (kept on the server)
        localStorage.setItem(KEY, JSON.stringify(buf));
        count.textContent = parseInt(count.textContent, 10) + j.accepted;
        if (j.rejected.length) state.textContent = j.rejected[j.rejected.length - 1].message;
      }).catch(() => { state.textContent = tr('网络不通，位置已暂存，恢复后自动上报'); });
  }
  setTimeout(send, 3000);
  setInterval(send, parseInt(box.dataset.interval, 10) * 1000);
})();
