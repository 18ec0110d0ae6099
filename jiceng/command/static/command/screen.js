// 大屏: the same figures as the wall, plotted with ECharts; refreshed on live events
// (server-sent) and every 15 s.
(function () {
  const tr = (s, a) => { const m = window.JICENG_T || (window.JICENG_T = JSON.parse((document.getElementById('js-catalogue') || {}).textContent || '{}')); return (m[s] || s).replace(/\{(\w+)\}/g, (x, k) => (a && k in a ? a[k] : x)); };
  const root = document.getElementById('screen');
  const txt = {color: '#dbeafe', fontSize: 16};
  const charts = {};
  ['intake', 'tier', 'cats', 'units', 'heat'].forEach((k) => { charts[k] = echarts.init(document.getElementById('ch-' + k)); });
  const axis = {axisLabel: txt, axisLine: {lineStyle: {color: '#334155'}}, splitLine: {lineStyle: {color: '#1e293b'}}};
  function bars(chart, names, values, color) {
    chart.setOption({
      grid: {left: 10, right: 40, top: 10, bottom: 10, containLabel: true},
      xAxis: {type: 'value', ...axis}, yAxis: {type: 'category', data: names, inverse: true, ...axis},
      series: [{type: 'bar', data: values, itemStyle: {color}, label: {show: true, position: 'right', color: '#f8fafc', fontSize: 16}}],
    }, true);
  }
  function draw(j) {
    const s = j.summary;
    for (const k of ['new', 'in_progress', 'yellow', 'red', 'today_new', 'today_closed']) document.getElementById('k-' + k).textContent = s[k];
    charts.intake.setOption({
      legend: {textStyle: txt, top: 0}, tooltip: {trigger: 'axis'},
      grid: {left: 10, right: 20, top: 40, bottom: 10, containLabel: true},
      xAxis: {type: 'category', data: j.days.map((d) => d.slice(5)), ...axis}, yAxis: {type: 'value', ...axis},
      series: Object.entries(j.intake).map(([name, data]) => ({name, type: 'bar', stack: 'n', data})),
    }, true);
    charts.tier.setOption({
      tooltip: {formatter: tr('{b}: {c} 件 ({d}%)')}, legend: {textStyle: txt, bottom: 0},
      series: [{type: 'pie', radius: ['35%', '65%'], label: {color: '#f8fafc', fontSize: 16, formatter: '{b}\n{d}%'},
        data: j.closed_by_tier.map((t) => ({name: tr(t.label), value: t.n}))}],
    }, true);
    bars(charts.cats, j.top_categories.map((c) => c.name), j.top_categories.map((c) => c.n), '#38bdf8');
    bars(charts.units, j.overdue_units.map((u) => u.unit_name), j.overdue_units.map((u) => u.red), '#f87171');
    bars(charts.heat, j.grid_heat.map((g) => g.name), j.grid_heat.map((g) => g.open), '#fb923c');
    root.dataset.loaded = '1';
  }
  let busy = false;
  function load() {
    if (busy) return; busy = true;
    fetch(root.dataset.src, {credentials: 'same-origin'}).then((r) => r.json()).then(draw).finally(() => { busy = false; });
  }
  const clock = document.getElementById('clock');
  setInterval(() => { clock.textContent = new Date().toLocaleString('zh-CN', {hour12: false}); }, 1000);
  load();
  setInterval(load, 15000);
  const es = new EventSource(root.dataset.stream);
  let t = null;
  const soon = () => { clearTimeout(t); t = setTimeout(load, 1500); };
  ['new', 'alarm', 'move', 'taken'].forEach((k) => es.addEventListener(k, soon));
})();
