// The session page's "Accept" form: first a preview of what would change (how many items, from
// what to what) to confirm, then the accept itself; the page's state line follows without a reload.
(function () {
  const form = document.getElementById("accept-form");
  if (!form) return;
  const dialog = document.getElementById("accept-dialog");
  const result = document.getElementById("accept-result");
  const methodNames = {majority: "majority vote", dawid_skene: "Dawid-Skene"};

  function previewNodes(preview) {
    const nodes = [];
    const summary = document.createElement("p");
    summary.id = "accept-summary";
    summary.textContent = `${preview.labels} crowd label${preview.labels === 1 ? "" : "s"} by ${methodNames[preview.method]}; ` +
      `${preview.changed} item${preview.changed === 1 ? "" : "s"} would change ${preview.changed === 1 ? "its" : "their"} current emotion.`;
    nodes.push(summary);
    if (preview.changes.length) {
      const list = document.createElement("ul");
      list.id = "accept-changes";
      for (const change of preview.changes) {
        list.appendChild(document.createElement("li")).textContent =
          `${change.from || "no emotion"} → ${change.to || "no emotion"}: ${change.items} item${change.items === 1 ? "" : "s"}`;
      }
      nodes.push(list);
    }
    if (preview.method === "dawid_skene" && preview.dawid_skene_shortfall) {
      const warning = document.createElement("p");
      warning.className = "error";
      warning.textContent = `Too few answers for Dawid-Skene to be trusted (${preview.dawid_skene_shortfall}).`;
      nodes.push(warning);
    }
    return nodes;
  }

  async function confirmed(method) {
    const response = await fetch(`${form.dataset.preview}?method=${encodeURIComponent(method)}`,
      {headers: {Accept: "application/json"}});
    const body = await response.json();
    if (!response.ok) { result.textContent = body.error ? body.error.message : `HTTP ${response.status}`; return false; }
    document.getElementById("accept-preview").replaceChildren(...previewNodes(body));
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {once: true}));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const method = form.elements["method"].value;
    result.textContent = "";
    if (!(await confirmed(method))) return;
    const response = await fetch(form.action, {method: "POST", headers: {"X-CSRFToken": fer.csrfToken(),
      "Content-Type": "application/json", Accept: "application/json"}, body: JSON.stringify({method})});
    const body = await response.json();
    if (!response.ok) { result.textContent = body.error.message; return; }
    const replaced = body.labels_replaced ? `, replacing the ${body.labels_replaced} of the previous accept` : "";
    result.textContent = `${body.labels_created} crowd label${body.labels_created === 1 ? "" : "s"} recorded${replaced}; labels from other sources are kept.`;
    document.getElementById("accept-state").textContent =
      `Accepted just now (${methodNames[method]}, ${body.labels_created} crowd labels). Accepting again replaces those labels.`;
  });
})();
