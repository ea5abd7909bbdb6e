// Dataset page: follow the newest prediction run and the newest landmark job until the worker is
// done (then reload: the thumbnails show the model's answers, the counts the items with landmarks).
(function () {
  const unfinished = (status) => status === "pending" || status === "running";

  function follow(prefix, url) {
    const box = document.getElementById(`${prefix}-status`);
    if (!box || !unfinished(box.dataset.status)) return;
    const phase = document.getElementById(`${prefix}-phase`);
    const counts = document.getElementById(`${prefix}-counts`);
    const bar = document.getElementById(`${prefix}-progress`);
    const message = document.getElementById(`${prefix}-message`);

    function update(job) {
      bar.value = job.progress;
      counts.textContent = `${job.processed} of ${job.total}`;
      message.textContent = job.message;
      phase.textContent = job.status === "pending" ? "waiting for a worker…" : job.status;
      if (unfinished(job.status)) return true;
      if (job.status === "done") window.location.reload();
      return false;
    }

    fer.poll(url(box.dataset.job), {
      update,
      error: (why) => { phase.textContent = `progress unavailable (${why})`; return false; },
    });
  }

  follow("prediction", (id) => `/api/prediction-jobs/${id}/`);
  follow("landmarks", (id) => `/api/landmark-jobs/${id}/`);
})();
