// The comparison job page: poll the job's status and show its progress; reload the page
// when it ends (the report and downloads appear). Served by the compare plugin.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var id = box.getAttribute("data-job");
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var state = document.getElementById("job-state");
  var stage = document.getElementById("job-stage");
  function poll() {
    fetch("/compare/jobs/" + id + "/status", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        percent.textContent = s.percent + "%";
        state.textContent = s.label;
        stage.textContent = s.stage;
        if (s.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
