// Dataset page: follow the newest prediction run until the worker is done, then reload the thumbnails.
(function () {
  const box = document.getElementById("prediction-status");
  if (!box) return;
  const phase = document.getElementById("prediction-phase");
  const counts = document.getElementById("prediction-counts");
  const bar = document.getElementById("prediction-progress");
  const message = document.getElementById("prediction-message");
  const unfinished = (status) => status === "pending" || status === "running";

  function update(job) {
    bar.value = job.progress;
    counts.textContent = `${job.processed} of ${job.total}`;
    message.textContent = job.message;
    phase.textContent = job.status === "pending" ? "waiting for a worker…" : job.status;
    if (unfinished(job.status)) return true;
    if (job.status === "done" && unfinished(box.dataset.status)) {
      window.location.reload();  // the thumbnails now show the model's answers
    }
    return false;
  }

  if (unfinished(box.dataset.status)) {
    fer.poll(`/api/prediction-jobs/${box.dataset.job}/`, {
      update,
      error: (why) => { phase.textContent = `progress unavailable (${why})`; return false; },
    });
  }
})();
