// Dataset import: upload with a progress bar, then follow the worker's progress until done.
(function () {
  const form = document.getElementById("import-form");
  const status = document.getElementById("import-status");
  const phase = document.getElementById("import-phase");
  const counts = document.getElementById("import-counts");
  const bar = document.getElementById("import-progress");
  const message = document.getElementById("import-message");
  const errors = document.getElementById("import-errors");

  function show(job) {
    bar.value = job.progress;
    counts.textContent = `${job.processed} of ${job.total} read · ${job.imported} imported · ` +
      `${job.duplicates} duplicates · ${job.error_count} errors`;
    errors.replaceChildren(...job.errors.slice(0, 50).map((e) => {
      const li = document.createElement("li");
      li.textContent = `${e.where}: ${e.message}`;
      return li;
    }));
  }

  // One answer of the job's progress; true while there is more to wait for.
  function update(job) {
    show(job);
    if (job.status === "done") {
      phase.innerHTML = "";
      const link = document.createElement("a");
      link.href = `/datasets/${job.dataset_id}/`;
      link.textContent = `Import finished: open ${job.dataset}`;
      phase.appendChild(link);
      if (job.error_count) {  // the list stays readable after this page is left
        const errorsLink = document.createElement("a");
        errorsLink.href = `/datasets/imports/${job.id}/`;
        errorsLink.textContent = `${job.error_count} row errors`;
        phase.append(" · ", errorsLink);
      }
      form.querySelector("button").disabled = false;
      return false;
    }
    if (job.status === "failed") {
      phase.textContent = "Import failed.";
      bar.hidden = true;
      message.textContent = job.message;
      form.querySelector("button").disabled = false;
      return false;
    }
    phase.textContent = job.status === "pending" ? "Waiting for a worker…" : "Importing…";
    return true;
  }

  function follow(jobId) {
    fer.poll(`/api/imports/${jobId}/`, {update, every: 500});
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.hidden = false;
    bar.hidden = false;
    message.textContent = "";
    errors.replaceChildren();
    counts.textContent = "";
    phase.textContent = "Uploading…";
    form.querySelector("button").disabled = true;
    // XMLHttpRequest, not fetch: only it reports upload progress for big archives.
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.endpoint);
    request.setRequestHeader("X-CSRFToken", fer.csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
    request.onload = () => {
      const body = JSON.parse(request.responseText || "{}");
      if (request.status === 202) {
        bar.value = 0;
        follow(body.id);
      } else {
        phase.textContent = "Import refused: nothing was stored.";
        message.textContent = body.error ? body.error.message : `HTTP ${request.status}`;
        bar.hidden = true;  // a full bar after a refusal reads as success
        form.querySelector("button").disabled = false;
      }
    };
    request.onerror = () => {
      phase.textContent = "Upload failed: the server could not be reached.";
      bar.hidden = true;
      form.querySelector("button").disabled = false;
    };
    request.send(new FormData(form));
  });
})();
