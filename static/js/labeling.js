// Keyboard labeling: 1-8 emotions, N not a face, U unsure, S skip, Z undo, arrows/click for
// valence/arousal. Two items are held at a time so the next image is already loaded.
(function () {
  const root = document.getElementById("labeler");
  const session = root.dataset.session;
  const asksEmotion = root.dataset.asksEmotion === "1";
  const asksVA = root.dataset.asksVa === "1";
  const csrf = fer.csrfToken();
  const EMOTIONS = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt"];
  const face = document.getElementById("face");
  const message = document.getElementById("message");
  const queue = [];            // held assignments; queue[0] is on screen
  let shownAt = performance.now();
  let va = null;               // {valence, arousal} once the annotator set it
  let labelled = 0;
  let labellingMs = 0;            // time spent looking at the items answered: labels/min as the session page counts it
  let chain = Promise.resolve();  // requests run one after another, in the order made
  let exhausted = false;          // the server said nothing is left for this annotator
  const sending = new Set();      // answered or skipped items whose request has not finished yet

  async function api(path, body) {
    const response = await fetch(path, {method: "POST", headers: {"X-CSRFToken": csrf, "Content-Type": "application/json",
      Accept: "application/json"}, body: JSON.stringify(body || {})});
    if (response.status === 204) return null;
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : `HTTP ${response.status}`);
    return data;
  }

  function show(previous) {
    const current = queue[0];
    document.getElementById("done").hidden = Boolean(current) || !exhausted;
    face.hidden = !current;
    if (!current) return;
    face.src = current.image_url;
    shownAt = performance.now();
    showPrediction();
    markPrevious(previous);
    setVA(previous && previous.valence !== null && previous.valence !== undefined
      ? {valence: previous.valence, arousal: previous.arousal} : null);
    for (const next of queue.slice(1)) new Image().src = next.image_url;  // preload
  }

  // The model's guess stays hidden unless the session allows it AND the annotator asks for it
  // (checkbox or P), so nobody is anchored by default; an answer records it only when it was visible.
  const predictionToggle = document.getElementById("show-prediction");
  function predictionVisible() {
    return Boolean(predictionToggle && predictionToggle.checked && queue[0] && queue[0].prediction);
  }

  function showPrediction() {
    const prediction = document.getElementById("prediction");
    prediction.hidden = !predictionVisible();
    prediction.textContent = predictionVisible() ? `model: ${queue[0].prediction}` : "";
  }
  if (predictionToggle) predictionToggle.addEventListener("change", showPrediction);

  function showProgress(progress) {
    if (!progress) return;
    document.getElementById("session-progress").value = progress.items ? progress.complete_items / progress.items : 0;
    document.getElementById("progress-text").textContent =
      `${progress.complete_items} of ${progress.items} item${progress.items === 1 ? "" : "s"} complete · ${progress.my_labels} by you`;
  }

  function fill() {
    chain = chain.then(async () => {
      while (queue.length < 2) {
        // Items on their way out are "held" too, or the server would hand them out again.
        const holding = [...queue.map((a) => a.id), ...sending];
        const next = await api(`/api/labeling/sessions/${session}/next/`, {holding});
        if (!next) { exhausted = true; break; }
        showProgress(next.progress);
        // An answer given while this request was in flight changes what we hold: the server
        // may hand back an item already in the queue. Ask again with the current holding.
        if (queue.some((held) => held.id === next.id) || sending.has(next.id)) continue;
        queue.push(next);
        if (queue.length === 1) show();
      }
      if (queue.length === 0) show();
    }).catch((error) => { message.textContent = error.message; });
  }

  function answer(fields) {
    const current = queue[0];
    if (!current) return;
    if (asksVA && !fields.not_face && !fields.unsure && !va) {
      message.textContent = "Set valence/arousal first (click the circle or use the arrow keys).";
      return;
    }
    const body = {...fields, duration_ms: Math.round(performance.now() - shownAt)};
    const spent = body.duration_ms;
    if (asksVA && va && !fields.not_face && !fields.unsure) Object.assign(body, va);
    if (predictionVisible()) body.prediction_shown = current.prediction;
    message.textContent = "";
    queue.shift();
    sending.add(current.id);
    show();
    chain = chain.then(() => api(`/api/labeling/assignments/${current.id}/submit/`, body)).then((result) => {
      showProgress(result.progress);
      labelled += 1;
      labellingMs += spent;
      showRate();
    }).catch((error) => { message.textContent = error.message; queue.unshift(current); show(); })
      .finally(() => sending.delete(current.id));
    fill();
  }

  function skip() {
    const current = queue.shift();
    if (!current) return;
    sending.add(current.id);
    show();
    chain = chain.then(() => api(`/api/labeling/assignments/${current.id}/skip/`))
      .catch((e) => { message.textContent = e.message; })
      .finally(() => sending.delete(current.id));
    fill();
  }

  function undo() {
    chain = chain.then(async () => {
      const back = await api(`/api/labeling/sessions/${session}/undo/`);
      if (!back) { message.textContent = "Nothing to undo."; return; }
      labelled = Math.max(0, labelled - 1);
      labellingMs = Math.max(0, labellingMs - (back.previous ? back.previous.duration_ms : 0));
      showRate();
      exhausted = false;
      queue.unshift(back);
      showProgress(back.progress);
      show(back.previous);
      if (back.previous) message.textContent = `Undone: you had answered ${describe(back.previous)}. Answer again.`;
    }).catch((error) => { message.textContent = error.message; });
  }

  function showRate() {
    document.getElementById("rate").textContent = labellingMs ? (labelled / (labellingMs / 60000)).toFixed(1) : "0";
  }

  function describe(answer) {
    const what = answer.not_face ? "not a face" : answer.unsure ? "unsure" : answer.emotion || "no emotion";
    return answer.valence === null || answer.valence === undefined ? what
      : `${what}, valence ${answer.valence.toFixed(2)}, arousal ${answer.arousal.toFixed(2)}`;
  }

  // After an undo, the answer taken back is outlined, so the annotator sees what they had said.
  function markPrevious(previous) {
    root.querySelectorAll("button.previous").forEach((b) => b.classList.remove("previous"));
    if (!previous) return;
    const selector = previous.emotion ? `button[data-emotion="${previous.emotion}"]`
      : previous.not_face ? 'button[data-action="not_face"]' : previous.unsure ? 'button[data-action="unsure"]' : null;
    const button = selector && root.querySelector(selector);
    if (button) button.classList.add("previous");
  }

  function setVA(value) {
    va = value;
    const point = document.getElementById("va-point");
    if (!point) return;
    // SVG elements ignore the HTML `hidden` attribute: `display` is what hides the dot.
    point.setAttribute("display", value ? "inline" : "none");
    document.getElementById("va-value").textContent = value
      ? `Valence ${value.valence.toFixed(2)}, arousal ${value.arousal.toFixed(2)}.` : "Valence/arousal not set.";
    if (value) { point.setAttribute("cx", value.valence); point.setAttribute("cy", -value.arousal); }
  }

  function moveVA(dv, da) {
    const current = va || {valence: 0, arousal: 0};
    const clamp = (x) => Math.max(-1, Math.min(1, Math.round(x * 10) / 10));
    setVA({valence: clamp(current.valence + dv), arousal: clamp(current.arousal + da)});
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (asksEmotion && key >= "1" && key <= "8") answer({emotion: EMOTIONS[Number(key) - 1]});
    else if (key === "n") answer({not_face: true});
    else if (key === "u") answer({unsure: true});
    else if (key === "s") skip();
    else if (key === "z") undo();
    else if (key === "p" && predictionToggle) {
      predictionToggle.checked = !predictionToggle.checked;
      showPrediction();
    } else if (asksVA && key.startsWith("arrow")) {
      event.preventDefault();
      moveVA({arrowleft: -0.1, arrowright: 0.1}[key] || 0, {arrowdown: -0.1, arrowup: 0.1}[key] || 0);
    } else if (asksVA && !asksEmotion && key === "enter") answer({});
    else return;
    event.preventDefault();
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.emotion) answer({emotion: button.dataset.emotion});
    else if (button.dataset.action === "not_face") answer({not_face: true});
    else if (button.dataset.action === "unsure") answer({unsure: true});
    else if (button.dataset.action === "skip") skip();
    else if (button.dataset.action === "undo") undo();
  });

  const svg = document.getElementById("va");
  if (svg) svg.addEventListener("click", (event) => {
    const point = svg.createSVGPoint();
    point.x = event.clientX; point.y = event.clientY;
    const p = point.matrixTransform(svg.getScreenCTM().inverse());
    const clamp = (x) => Math.max(-1, Math.min(1, Math.round(x * 100) / 100));
    setVA({valence: clamp(p.x), arousal: clamp(-p.y)});
  });

  // Leaving the page gives back the items held but not answered, so others can take them.
  window.addEventListener("pagehide", () => {
    if (!queue.length) return;
    const form = new FormData();
    form.append("csrfmiddlewaretoken", csrf);
    form.append("assignments", queue.map((a) => a.id).join(","));
    navigator.sendBeacon(`/api/labeling/sessions/${session}/release/`, form);
  });

  fill();
})();
