// The Excel export's page: poll the job's state, show rows done / total, download when ready.
(function () {
  var box = document.getElementById("export-job");
  if (!box) return;
  var bar = document.getElementById("export-progress");
  var status = document.getElementById("export-status");
  var link = document.getElementById("export-download");
  var texts = {};
  document.getElementById("export-texts").content.querySelectorAll("[data-k]").forEach(function (e) {
    texts[e.dataset.k] = e.textContent;
  });
  function show(s) {
    bar.max = Math.max(1, s.total);
    bar.value = s.done;
    if (s.state === "running") {
      status.textContent = texts.running + s.done.toLocaleString() + " / " + s.total.toLocaleString() + " " + texts.people;
      setTimeout(poll, 700);
    } else if (s.state === "done") {
      status.textContent = texts.done + s.done.toLocaleString() + " " + texts.people;
      link.hidden = false;
      if (!box.dataset.downloaded) { box.dataset.downloaded = "1"; window.location.href = s.download; }
    } else {
      status.textContent = s.error;
    }
  }
  function poll() {
    fetch(box.dataset.stateUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
