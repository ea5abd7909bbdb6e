// Shared by the pages: the CSRF token and the one way to poll a job. Loaded by base.html before
// every page's own script, as `fer`.
window.fer = (function () {
  // The token Django's {% csrf_token %} put in the page, else its cookie (same value).
  function csrfToken() {
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  }

  // GET `url` as JSON every `every` ms and hand each answer to `update`, which returns true to go on
  // polling. A failed request goes to `error` (a message), which returns true to try again; by
  // default polling stops. `wait` skips the first immediate request (the caller already has it).
  function poll(url, {update, error = () => false, every = 1000, wait = false}) {
    let stopped = false;
    async function tick() {
      let again;
      try {
        const response = await fetch(url, {headers: {Accept: "application/json"}});
        again = response.ok ? await update(await response.json()) : await error(`HTTP ${response.status}`);
      } catch (exception) {
        again = await error("the server could not be reached");
      }
      if (again && !stopped) setTimeout(tick, every);
    }
    if (wait) setTimeout(tick, every);
    else tick();
    return {stop: () => { stopped = true; }};
  }

  return {csrfToken, poll};
})();
