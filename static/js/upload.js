// Upload page: drag-and-drop or pick photos, or take a webcam snapshot; each file gets its own
// row with an upload progress bar, then the worker's status, then the result, without a reload.
(function () {
  const form = document.getElementById("upload-form");
  const dropzone = document.getElementById("dropzone");
  const input = document.getElementById("file-input");
  const list = document.getElementById("upload-list");
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs = {}, text = "") {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  function newRow(name) {
    document.getElementById("no-uploads")?.remove();
    const row = el("li", {class: "upload-row"});
    const head = el("div", {class: "upload-head"});
    head.append(el("strong", {}, name));
    const phase = el("span", {class: "phase"}, "Uploading…");
    head.append(phase);
    const bar = el("progress", {max: "1", value: "0"});
    const result = el("div", {class: "upload-result"});
    row.append(head, bar, result);
    list.prepend(row);
    return {row, phase, bar, result};
  }

  // "Detector yunet, faces of 20 px and more; 2 more found but skipped: too small (dashed)":
  // what detection did, so a missing face has a reason.
  function detectionNote(upload) {
    const d = upload.detection;
    if (!d || !d.detector) return "";
    const skipped = d.skipped || [];
    const reasons = [...new Set(skipped.map((s) => s.reason.replace("_", " ")))];
    const more = skipped.length ? `; ${skipped.length} more found but skipped: ${reasons.join(", ")} (dashed)` : "";
    return `Detector ${d.detector}, faces of ${d.min_face_px} px and more${more}.`;
  }

  function showResult(ui, upload) {
    ui.bar.remove();
    ui.row.dataset.status = upload.status;
    if (upload.status === "failed") {
      ui.phase.textContent = "Failed: " + upload.message;
      ui.phase.className = "phase error";
      return;
    }
    ui.phase.textContent = `${upload.faces.length} face${upload.faces.length === 1 ? "" : "s"} found`;
    const svg = svgEl("svg", {viewBox: `0 0 ${upload.width} ${upload.height}`, class: "thumb-overlay"});
    svg.append(svgEl("image", {href: upload.image_url, width: upload.width, height: upload.height}));
    const faces = el("ol", {class: "face-summary"});
    upload.faces.forEach((face, i) => {
      const [x, y, w, h] = face.box;
      svg.append(svgEl("rect", {x, y, width: w, height: h, class: "box"}));
      const label = svgEl("text", {x, y, dy: "-4"});
      label.textContent = String(i + 1);
      svg.append(label);
      const p = Math.round(face.probs[face.emotion] * 100);
      faces.append(el("li", {"data-emotion": face.emotion},
        `${face.emotion} ${p}% · valence ${face.valence.toFixed(2)}, arousal ${face.arousal.toFixed(2)} (${vaSource(face)})`));
    });
    (upload.detection?.skipped || []).forEach((skipped) => {
      const [x, y, w, h] = skipped.box;
      svg.append(svgEl("rect", {x, y, width: w, height: h, class: "skipped", "data-reason": skipped.reason}));
    });
    const link = el("a", {href: upload.page_url, class: "button"}, "Open the result");
    ui.result.append(svg, el("p", {class: "detection-note muted small"}, detectionNote(upload)), faces, link);
  }

  // "derived", "learned", or "learned on synthetic faces" when the model says what its V/A annotations were.
  function vaSource(face) {
    return face.va_source === "learned" && face.va_learned_on ? `learned on ${face.va_learned_on}` : face.va_source;
  }

  // Show the job as it stands; true while the worker has yet to finish it.
  function update(ui, upload) {
    if (upload.status === "done" || upload.status === "failed") {
      showResult(ui, upload);
      return false;
    }
    ui.phase.textContent = upload.status === "pending" ? "Waiting for a worker…" : "Finding faces…";
    ui.bar.removeAttribute("value"); // indeterminate while the worker runs
    return true;
  }

  function follow(ui, upload) {
    if (!update(ui, upload)) return;
    fer.poll(`/api/uploads/${upload.id}/`, {
      every: 400,
      wait: true,
      update: (answer) => update(ui, answer),
      error: (why) => { ui.phase.textContent = `Could not follow the job (${why}).`; return false; },
    });
  }

  // Resolves when the server has answered (or could not be reached), whatever the answer.
  function send(file, name) {
    return new Promise((resolve) => sendOne(file, name, resolve));
  }

  function sendOne(file, name, done) {
    const ui = newRow(name || file.name);
    const data = new FormData();
    data.append("image", file, name || file.name);
    // XMLHttpRequest, not fetch: only it reports upload progress.
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.endpoint);
    request.setRequestHeader("X-CSRFToken", fer.csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.onprogress = (e) => { if (e.lengthComputable) ui.bar.value = e.loaded / e.total; };
    request.onload = () => {
      let body = {};
      try { body = JSON.parse(request.responseText || "{}"); } catch (err) { body = {}; }
      if (request.status === 202) {
        follow(ui, body);
      } else {
        ui.bar.remove();
        ui.row.dataset.status = "refused";
        ui.phase.className = "phase error";
        ui.phase.textContent = "Refused: " + (body.error ? body.error.message : `HTTP ${request.status}`);
      }
      done();
    };
    request.onerror = () => {
      ui.phase.textContent = "Upload failed: the server could not be reached.";
      done();
    };
    request.send(data);
  }

  // A visitor without an account gets their session (and its cookie) with their first upload.
  // Sent together, several first uploads would each make a session of their own and all but one
  // would be lost to the visitor; so the first photo goes alone and the rest follow in parallel.
  async function sendAll(files) {
    const [first, ...rest] = Array.from(files);
    if (!first) return;
    await send(first);
    rest.forEach((file) => send(file));
  }

  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, () => dropzone.classList.remove("over")));
  dropzone.addEventListener("drop", (e) => { e.preventDefault(); sendAll(e.dataTransfer.files); });

  // Webcam: getUserMedia -> video -> canvas -> JPEG blob -> the same upload path.
  const camera = document.getElementById("camera");
  const video = document.getElementById("camera-video");
  const cameraMessage = document.getElementById("camera-message");
  let stream = null;

  document.getElementById("camera-start").addEventListener("click", async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraMessage.textContent = "This browser offers no camera here (it needs HTTPS or localhost). Upload a photo instead.";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: true, audio: false});
    } catch (err) {
      cameraMessage.textContent = err.name === "NotAllowedError"
        ? "Camera permission was refused. Allow it in the browser, or upload a photo instead."
        : `No camera could be opened (${err.name}). Upload a photo instead.`;
      return;
    }
    video.srcObject = stream;
    camera.hidden = false;
    cameraMessage.textContent = "";
  });

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    camera.hidden = true;
  }
  document.getElementById("camera-stop").addEventListener("click", stopCamera);

  document.getElementById("camera-snap").addEventListener("click", () => {
    if (!video.videoWidth) { cameraMessage.textContent = "The camera is not ready yet."; return; }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      send(blob, `webcam-${stamp}.jpg`);
    }, "image/jpeg", 0.92);
  });
})();
