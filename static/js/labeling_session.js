// The session page's "Accept" form: posts to the API and says what it recorded.
(function () {
  const form = document.getElementById("accept-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {method: "POST", headers: {"X-CSRFToken": form.csrfmiddlewaretoken.value,
      "Content-Type": "application/json", Accept: "application/json"}, body: JSON.stringify({method: form.elements["method"].value})});
    const body = await response.json();
    const replaced = body.labels_replaced ? `, replacing the ${body.labels_replaced} of the previous accept` : "";
    document.getElementById("accept-result").textContent = response.ok
      ? `${body.labels_created} crowd labels recorded${replaced}; labels from other sources are kept.` : body.error.message;
  });
})();
