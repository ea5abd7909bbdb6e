// One training run: poll its JSON, move the progress bar, redraw the curves (SVG), show the log.
(function () {
  const root = document.getElementById("run");
  const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = {train_loss: "#b3261e", accuracy: "#1b7f3b", macro_f1: "#4a7bd0", va_ccc: "#8a4fb5", keypoint_rmse: "#c77700"};

  function duration(seconds) {
    if (seconds == null) return "";
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  function element(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Lines for the given keys of the history, epochs on x; axes labelled with the value range.
  function drawCurves(svg, history, keys, fixedRange) {
    const w = 400, h = 200, left = 40, bottom = 20, top = 10, right = 10;
    const values = history.flatMap((e) => keys.map((k) => e[k]).filter((v) => v != null));
    let [lo, hi] = fixedRange || [Math.min(...values), Math.max(...values)];
    if (!values.length) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { hi = lo + 1; }
    const maxEpoch = Math.max(1, ...history.map((e) => e.epoch));
    const x = (epoch) => left + (w - left - right) * (maxEpoch === 1 ? 0.5 : (epoch - 1) / (maxEpoch - 1));
    const y = (v) => top + (h - top - bottom) * (1 - (v - lo) / (hi - lo));
    const nodes = [
      element("line", {x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: "#999"}),
      element("line", {x1: left, y1: top, x2: left, y2: h - bottom, stroke: "#999"}),
      element("text", {x: 2, y: top + 8, "font-size": 10}, hi.toFixed(3)),
      element("text", {x: 2, y: h - bottom, "font-size": 10}, lo.toFixed(3)),
      element("text", {x: w - right - 60, y: h - 4, "font-size": 10}, `epoch ${maxEpoch}`),
    ];
    keys.forEach((key, i) => {
      const points = history.filter((e) => e[key] != null).map((e) => `${x(e.epoch)},${y(e[key])}`);
      if (!points.length) return;
      nodes.push(element("polyline", {points: points.join(" "), fill: "none", stroke: COLORS[key], "stroke-width": 2, class: `line-${key}`}));
      history.filter((e) => e[key] != null).forEach((e) => nodes.push(element("circle", {cx: x(e.epoch), cy: y(e[key]), r: 2.5, fill: COLORS[key]})));
      nodes.push(element("text", {x: left + 8 + i * 110, y: top + 10, "font-size": 11, fill: COLORS[key]}, key));
    });
    svg.replaceChildren(...nodes);
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
    drawCurves($("curve-loss"), run.history, ["train_loss"]);
    // Each task's validation figures: accuracy/macro-F1 and V/A CCC lie in [-1, 1] or [0, 1]; keypoint RMSE is pixels.
    if (run.task === "keypoints") drawCurves($("curve-metrics"), run.history, ["keypoint_rmse"]);
    else if (run.task === "va") drawCurves($("curve-metrics"), run.history, ["va_ccc"], [-1, 1]);
    else if (run.task === "both") drawCurves($("curve-metrics"), run.history, ["accuracy", "macro_f1", "va_ccc"], [-1, 1]);
    else drawCurves($("curve-metrics"), run.history, ["accuracy", "macro_f1"], [0, 1]);
    showEvaluations(run.evaluations);
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.endpoint, {headers: {Accept: "application/json"}});
      const run = await response.json();
      show(run);
      if (["done", "failed", "cancelled"].includes(run.status)) return;
    } catch (error) {
      $("run-message").textContent = "Lost contact with the server; retrying…";
    }
    setTimeout(poll, 1000);
  }

  $("run-cancel").addEventListener("click", async () => {
    if (!window.confirm("Stop this run? Its checkpoints stay on disk, but it will not be registered.")) return;
    const response = await fetch(root.dataset.cancel, {method: "POST", headers: {"X-CSRFToken": csrf, Accept: "application/json"}});
    if (response.status !== 202) {
      const body = await response.json();
      $("run-message").textContent = body.error ? body.error.message : `HTTP ${response.status}`;
    }
  });

  poll();
})();
