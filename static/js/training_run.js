// One training run: poll its JSON, move the progress bar, swap in the server-drawn curves, show the log.
(function () {
  const root = document.getElementById("run");
  const $ = (id) => document.getElementById(id);

  function duration(seconds) {
    if (seconds == null) return "";
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  // The curves are drawn on the server (webapp/training/charts.py); a new epoch or status swaps them in.
  async function refreshCurves(run) {
    const curves = $("curves");
    if (String(run.history.length) === curves.dataset.epochs && run.status === curves.dataset.status) return;
    const response = await fetch(root.dataset.curves, {headers: {Accept: "text/html"}});
    if (!response.ok) return;
    const fragment = document.createElement("template");
    fragment.innerHTML = await response.text();
    const fresh = fragment.content.querySelector("#curves");
    if (fresh) curves.replaceWith(fresh);
  }

  function showEvaluations(evaluations) {
    const rows = evaluations.map((e) => {
      const tr = document.createElement("tr");
      const perClass = Object.entries(e.per_class).map(([c, s]) => `${c} ${s.f1.toFixed(2)}`).join(" · ");
      const figure = (key) => (e.metrics[key] == null ? "–" : e.metrics[key].toFixed(4));
      const cells = [e.dataset, e.split, e.metrics.num_items, figure("accuracy"), figure("macro_f1"), figure("va_ccc"),
        figure("keypoint_rmse"), perClass];
      cells.forEach((value) => { const td = document.createElement("td"); td.textContent = value; tr.appendChild(td); });
      const td = document.createElement("td");
      if (e.confusion_png_url) {
        const a = document.createElement("a");
        a.href = e.confusion_png_url;
        a.title = `confusion matrix on ${e.dataset}/${e.split} (open full size)`;
        const img = document.createElement("img");
        img.src = e.confusion_png_url; img.alt = `confusion matrix on ${e.dataset}/${e.split}`;
        img.className = "confusion-thumb"; img.loading = "lazy";
        a.appendChild(img);
        td.appendChild(a);
      }
      tr.appendChild(td);
      return tr;
    });
    $("run-evaluations").tBodies[0].replaceChildren(...rows);
  }

  function show(run) {
    $("run-status").textContent = run.status + (run.cancel_requested && !["cancelled", "done", "failed"].includes(run.status) ? " (cancelling…)" : "");
    $("run-worker").textContent = run.worker_host || "waiting for a worker";
    $("run-device").textContent = run.device;
    $("run-attempts").textContent = run.resumed_from_epoch ? `${run.attempts} (resumed at epoch ${run.resumed_from_epoch})` : run.attempts;
    $("run-progress").value = run.progress;
    const phases = {queued: "Waiting for a worker…", running: `Epoch ${run.epoch} of ${run.total_epochs}`,
      evaluating: "Evaluating…", done: "Finished.", failed: "Failed.", cancelled: "Cancelled."};
    $("run-phase").textContent = phases[run.status] + (run.status === "running" && run.train_loss != null ? ` · loss ${run.train_loss.toFixed(4)}` : "");
    $("run-eta").textContent = run.status === "running" && run.eta_seconds != null ? `about ${duration(run.eta_seconds)} left` : "";
    $("run-message").textContent = ["failed", "cancelled"].includes(run.status) ? run.message : "";
    $("run-log").textContent = run.log_tail;
    $("run-cancel").hidden = ["done", "failed", "cancelled"].includes(run.status);
    const model = $("run-model");
    model.replaceChildren();
    if (run.model_version) {
      const a = document.createElement("a");
      a.href = `/leaderboard/#version-${run.model_version_id}`;
      a.textContent = `${run.model_version} on the leaderboard`;
      model.appendChild(a);
    }
    refreshCurves(run);
    showEvaluations(run.evaluations);
  }

  $("run-cancel").addEventListener("click", async () => {
    if (!window.confirm("Stop this run? Its checkpoints stay on disk, but it will not be registered.")) return;
    const response = await fetch(root.dataset.cancel, {method: "POST", headers: {"X-CSRFToken": fer.csrfToken(), Accept: "application/json"}});
    if (response.status !== 202) {
      const body = await response.json();
      $("run-message").textContent = body.error ? body.error.message : `HTTP ${response.status}`;
    }
  });

  fer.poll(root.dataset.endpoint, {
    update: (run) => { show(run); return !["done", "failed", "cancelled"].includes(run.status); },
    error: () => { $("run-message").textContent = "Lost contact with the server; retrying…"; return true; },
  });
})();
