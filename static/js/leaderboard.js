// Leaderboard: sort by any column (click its header), filter rows, promote / roll back / evaluate (admins).
(function () {
  const root = document.getElementById("leaderboard");
  const table = document.getElementById("leaderboard-table");
  const body = table.tBodies[0];
  const message = document.getElementById("leaderboard-message");

  // ---- sorting: numbers descending first (best on top), errors ascending; text ascending ----
  table.querySelectorAll("th[data-sort]").forEach((th, index) => {
    th.tabIndex = 0;
    th.addEventListener("click", () => sortBy(th, index));
    th.addEventListener("keydown", (e) => { if (e.key === "Enter") sortBy(th, index); });
  });

  function sortBy(th, index) {
    const numeric = th.dataset.sort === "number";
    const defaultDir = numeric && !("lowerBetter" in th.dataset) && index > 4 ? "desc" : "asc";
    const dir = th.getAttribute("aria-sort") === (defaultDir === "asc" ? "ascending" : "descending")
      ? (defaultDir === "asc" ? "desc" : "asc") : defaultDir;
    table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
    th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
    const value = (row) => row.cells[index].dataset.value;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const va = value(a), vb = value(b);
      if (va === "" && vb !== "") return 1;  // rows without a figure go last either way
      if (vb === "" && va !== "") return -1;
      const cmp = numeric ? Number(va) - Number(vb) : va.localeCompare(vb);
      return dir === "asc" ? cmp : -cmp;
    });
    body.replaceChildren(...rows);
  }

  // ---- filtering ----
  const text = document.getElementById("filter-text");
  const source = document.getElementById("filter-source");
  const arch = document.getElementById("filter-arch");
  function filter() {
    const needle = text.value.trim().toLowerCase();
    Array.from(body.rows).forEach((row) => {
      row.hidden = (needle && !row.dataset.search.toLowerCase().includes(needle)) ||
        (source.value && row.dataset.source !== source.value) || (arch.value && row.dataset.arch !== arch.value);
    });
  }
  [text, source, arch].forEach((el) => el.addEventListener("input", filter));

  // ---- actions ----
  async function post(url) {
    const response = await fetch(url, {method: "POST", headers: {"X-CSRFToken": fer.csrfToken(), Accept: "application/json"}});
    if (response.ok) return true;
    const body = await response.json().catch(() => ({}));
    message.textContent = body.error ? body.error.message : `HTTP ${response.status}`;
    return false;
  }
  // ---- promotion: the candidate beside the active model, then confirm ----
  const dialog = document.getElementById("promote-dialog");
  const percent = (x) => `${(100 * x).toFixed(1)}%`;
  function measuredText(m) {
    return m ? `${percent(m.accuracy)} (95% CI ${percent(m.low)}–${percent(m.high)}, n = ${m.items.toLocaleString()})` : "not measured";
  }
  function previewNodes(preview, name) {
    const nodes = [];
    const intro = document.createElement("p");
    intro.textContent = `Make ${name} the model every new prediction uses` +
      (preview.active ? ` instead of ${preview.active}?` : "?");
    nodes.push(intro);
    if (preview.comparisons.length) {
      const table = document.createElement("table");
      table.className = "grid";
      table.id = "promote-comparison";
      const head = table.createTHead().insertRow();
      ["Data", "Candidate", "Active", "Difference"].forEach((t) => { head.insertCell().outerHTML = `<th>${t}</th>`; });
      const body = table.createTBody();
      for (const c of preview.comparisons) {
        const row = body.insertRow();
        row.insertCell().textContent = `${c.dataset}/${c.split}`;
        row.insertCell().textContent = measuredText(c.candidate);
        row.insertCell().textContent = measuredText(c.active);
        row.insertCell().textContent = c.difference === null ? "–" : `${c.difference >= 0 ? "+" : ""}${(100 * c.difference).toFixed(1)} points`;
        if (c.clearly_worse) row.className = "worse";
      }
      nodes.push(table);
    }
    if (preview.warnings.length) {
      const list = document.createElement("ul");
      list.className = "warnings";
      list.id = "promote-warnings";
      for (const w of preview.warnings) list.appendChild(document.createElement("li")).textContent = w;
      nodes.push(list);
    }
    return nodes;
  }
  async function confirmPromotion(button) {
    const response = await fetch(button.dataset.preview, {headers: {Accept: "application/json"}});
    const body = document.getElementById("promote-body");
    if (!response.ok) {
      message.textContent = `Could not compare the models (HTTP ${response.status}).`;
      return false;
    }
    body.replaceChildren(...previewNodes(await response.json(), button.dataset.name));
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {once: true}));
  }

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button.promote, button.evaluate, #rollback");
    if (!button) return;
    if (button.classList.contains("promote") && !(await confirmPromotion(button))) return;
    button.disabled = true;
    message.textContent = "";
    if (await post(button.dataset.endpoint)) {
      if (button.classList.contains("evaluate")) {
        button.textContent = "Queued";
      } else {
        window.location.reload();
        return;
      }
    }
    button.disabled = false;
  });
})();
