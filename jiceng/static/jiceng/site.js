// Behaviours that would otherwise be inline handlers (the Content-Security-Policy runs no
// inline script without the page's nonce): data-print buttons, data-confirm forms,
// data-nosubmit forms (driven by their script), data-autosubmit selects (submit their form on change) and data-go selects (go to the
// chosen option's value).
(function () {
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) { e.preventDefault(); window.print(); }
  });
  document.addEventListener("change", function (e) {
    var s = e.target;
    if (!s.dataset) return;
    if (s.dataset.autosubmit !== undefined && s.form) s.form.submit();
    if (s.dataset.go !== undefined && s.value) window.location.search = s.value;
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset && f.dataset.nosubmit !== undefined) { e.preventDefault(); return; }
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
  }, true);
  // The grouped menu (data-navgroup <details>): one group open at a time; Escape or a click
  // elsewhere closes it, and Escape returns the focus to the group's summary.
  var groups = function () { return document.querySelectorAll("details[data-navgroup]"); };
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.matches || !d.matches("details[data-navgroup]") || !d.open) return;
    groups().forEach(function (o) { if (o !== d) o.open = false; });
  }, true);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    groups().forEach(function (d) {
      if (d.open) { d.open = false; var s = d.querySelector("summary"); if (s && d.contains(document.activeElement)) s.focus(); }
    });
  });
  document.addEventListener("click", function (e) {
    groups().forEach(function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
  });
})();
