/* Charts of the pages (ECharts), drawn once in their final state: no entrance animation,
   so a screenshot or a print taken at once shows them, and nothing moves for a reader who
   asked for reduced motion (prefers-reduced-motion). SVG, so a print is sharp; redrawn to
   the paper's width before printing and to the window's after. */
(function () {
  window.jicengChart = function (el, option) {
    if (!el || !window.echarts) return null;
    var chart = echarts.init(el, null, { renderer: 'svg' });
    option.animation = false; // also no hover or update transitions
    chart.setOption(option);
    el.setAttribute('data-drawn', '1');
    function fit() { chart.resize(); }
    window.addEventListener('resize', fit);
    window.addEventListener('beforeprint', fit);
    window.addEventListener('afterprint', fit);
    if (window.matchMedia) {
      var print = window.matchMedia('print'); // Chromium prints without beforeprint at times
      if (print.addEventListener) print.addEventListener('change', fit);
    }
    return chart;
  };
})();
