// Fills the health table from the JSON endpoint; a row's class is "ok", "warn" or "fail".
(function () {
  const table = document.querySelector("table.health");
  const body = document.getElementById("checks");
  const overall = document.getElementById("overall");
  const LABELS = {web: "Web", database: "Database", broker: "Broker", worker_cpu: "Worker (cpu queue)", worker_gpu: "Worker (gpu queue)"};

  function row(name, check) {
    const tr = document.createElement("tr");
    tr.id = "check-" + name;
    tr.className = check.ok ? "ok" : (check.required ? "fail" : "warn");
    const cells = [LABELS[name] || name, check.ok ? "up" : (check.required ? "down" : "absent"),
                   check.message || "", check.latency_ms == null ? "" : check.latency_ms + " ms"];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }

  async function refresh() {
    overall.textContent = "checking…";
    overall.className = "pending";
    try {
      const response = await fetch(table.dataset.endpoint, {headers: {Accept: "application/json"}});
      const report = await response.json();
      body.replaceChildren(...Object.entries(report.checks).map(([name, check]) => row(name, check)));
      overall.textContent = report.status;
      overall.className = report.status;
    } catch (error) {
      overall.textContent = "web server unreachable";
      overall.className = "failing";
    }
  }

  document.getElementById("recheck").addEventListener("click", refresh);
  refresh();
})();
