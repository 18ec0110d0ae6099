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
  // A required checkbox group (<fieldset data-required-group="message">): at least one box
  // checked before the form is sent — the browser has no such rule of its own.
  document.addEventListener("change", function (e) {
    var g = e.target.closest && e.target.closest("fieldset[data-required-group]");
    if (g) g.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.setCustomValidity(""); });
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var empty = Array.prototype.find.call(f.querySelectorAll ? f.querySelectorAll("fieldset[data-required-group]") : [], function (g) {
      return !g.querySelector("input[type=checkbox]:checked");
    });
    if (empty) {
      var first = empty.querySelector("input[type=checkbox]");
      e.preventDefault();
      e.stopImmediatePropagation();
      if (first) { first.setCustomValidity(empty.dataset.requiredGroup); first.reportValidity(); }
      return;
    }
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
