// Result page: overlay toggles, follow a job still running, and "correct this" per face.
(function () {
  function bindToggle(id, layerId) {
    const box = document.getElementById(id);
    const layer = document.getElementById(layerId);
    if (!box || !layer) return;
    const apply = () => { layer.toggleAttribute("hidden", !box.checked); };
    box.addEventListener("change", apply);
    apply();
  }
  bindToggle("toggle-boxes", "boxes-layer");
  bindToggle("toggle-landmarks", "landmarks-layer");
  bindToggle("toggle-saliency", "saliency-layer");

  // A job still pending or running: reload once the worker has finished.
  const job = document.getElementById("job-status");
  if (job && job.dataset.endpoint && !["done", "failed"].includes(job.dataset.status)) {
    fer.poll(job.dataset.endpoint, {
      every: 500,
      update: (upload) => {
        if (upload.status !== "done" && upload.status !== "failed") return true;
        window.location.reload();
        return false;
      },
    });
  }

  document.querySelectorAll("section.face-card").forEach((card) => {
    const form = card.querySelector("form.correct");
    const message = card.querySelector(".correct-message");
    const valence = form.querySelector("[name=valence]");
    const arousal = form.querySelector("[name=arousal]");
    const marker = card.querySelector(".va-corrected");
    if (!valence) return; // not logged in: no form to drive
    let emotion = null;

    form.querySelectorAll(".emotion-choice").forEach((button) => {
      button.addEventListener("click", () => {
        const chosen = button.getAttribute("aria-pressed") !== "true";
        form.querySelectorAll(".emotion-choice").forEach((b) => b.setAttribute("aria-pressed", "false"));
        button.setAttribute("aria-pressed", String(chosen));
        emotion = chosen ? button.dataset.emotion : null;
      });
    });

    function showMarker() {
      const v = parseFloat(valence.value), a = parseFloat(arousal.value);
      const set = Number.isFinite(v) && Number.isFinite(a);
      marker.toggleAttribute("hidden", !set);
      if (set) { marker.setAttribute("cx", v); marker.setAttribute("cy", a); }
    }
    valence.addEventListener("input", showMarker);
    arousal.addEventListener("input", showMarker);

    const svg = card.querySelector("svg.va");
    svg.addEventListener("click", (event) => {
      const point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      const p = point.matrixTransform(svg.getScreenCTM().inverse());
      const length = Math.hypot(p.x, p.y);
      const scale = length > 1 ? 1 / length : 1; // clicks outside the rim land on it
      valence.value = (p.x * scale).toFixed(2);
      arousal.value = (-p.y * scale).toFixed(2);
      showMarker();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {emotion};
      if (valence.value !== "" || arousal.value !== "") {
        body.valence = valence.value === "" ? null : Number(valence.value);
        body.arousal = arousal.value === "" ? null : Number(arousal.value);
      }
      message.className = "correct-message";
      message.textContent = "Saving…";
      const response = await fetch(form.dataset.endpoint, {
        method: "POST",
        headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": fer.csrfToken()},
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status !== 201) {
        message.className = "correct-message error";
        message.textContent = answer.error ? answer.error.message : `HTTP ${response.status}`;
        return;
      }
      message.textContent = "Saved: it will feed the next training run.";
      const li = document.createElement("li");
      const va = answer.valence === null ? "" : ` · V ${answer.valence.toFixed(2)}, A ${answer.arousal.toFixed(2)}`;
      li.textContent = `${answer.emotion || "—"}${va} by ${answer.created_by}`;
      card.querySelector("ul.corrections").appendChild(li);
      const itemLink = card.querySelector(".item-link");
      itemLink.querySelector("a").href = `/datasets/items/${answer.item}/`;
      itemLink.querySelector("a").textContent = `dataset item ${answer.item}`;
      itemLink.hidden = false;
    });
  });
})();
