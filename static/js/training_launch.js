// New training run: send the form as JSON to the API, then open the run's page.
(function () {
  const form = document.getElementById("launch-form");
  if (!form) return;
  const message = document.getElementById("launch-message");
  const numbers = ["epochs", "batch_size", "lr", "weight_decay", "input_size", "channels", "patience", "seed",
    "freeze_backbone_epochs", "max_steps_per_epoch"];

  function payload() {
    const data = new FormData(form);
    const body = {};
    for (const [key, value] of data.entries()) {
      if (key === "csrfmiddlewaretoken") continue;
      if (key === "datasets" || key === "label_sources") {
        (body[key] = body[key] || []).push(key === "datasets" ? Number(value) : value);
      } else if (numbers.includes(key)) {
        if (value !== "") body[key] = Number(value);
      } else {
        body[key] = value;
      }
    }
    body.datasets = body.datasets || [];
    body.label_sources = body.label_sources || [];
    return body;
  }

  // Suggest the queue and epochs from the workers that answer now, unless the admin already chose.
  async function suggestDefaults() {
    const queue = form.elements["queue"], epochs = form.elements["epochs"];
    const hint = document.getElementById("queue-hint");
    const untouched = {queue: queue.value, epochs: epochs.value};
    try {
      const response = await fetch(queue.dataset.probe, {headers: {"Accept": "application/json"}});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const {defaults} = await response.json();
      if (queue.value === untouched.queue) queue.value = defaults.queue;
      if (epochs.value === untouched.epochs) epochs.value = defaults.epochs;
      hint.textContent = `Suggested: ${defaults.queue} queue, ${defaults.epochs} epochs (${defaults.reason}).`;
    } catch (error) {
      hint.textContent = `Could not ask the workers (${error.message}); check the Health page.`;
    }
  }
  suggestDefaults();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.endpoint, {
        method: "POST",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": fer.csrfToken()},
        body: JSON.stringify(payload()),
      });
      const body = await response.json();
      if (response.status === 201) {
        window.location.href = `/training/runs/${body.id}/`;
        return;
      }
      message.textContent = body.error ? body.error.message : `HTTP ${response.status}`;
    } catch (error) {
      message.textContent = "The server could not be reached.";
    }
    button.disabled = false;
  });
})();
