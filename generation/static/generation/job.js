// A job page follows its job live: over the WebSocket, or by polling the API when the socket fails.
// When the job ends the page reloads, and the server shows the clip (or why there is none).
(() => {
  const root = document.querySelector("[data-job]");
  if (!root || root.dataset.finished === "true") return;
  const bar = root.querySelector("progress");
  const stage = root.querySelector("[data-stage]");
  const percent = root.querySelector("[data-percent]");
  const queue = root.querySelector("[data-queue]");
  const FINISHED = ["succeeded", "failed", "cancelled"];
  let done = false;
  let socket = null;
  let poller = null;

  function show(state) {
    if (done) return;
    bar.value = state.progress;
    percent.textContent = `${state.progress}%`;
    stage.textContent = state.label;
    showQueue(state.queue);
    if (state.finished || FINISHED.includes(state.status)) {
      done = true;
      clearInterval(poller);
      if (socket) socket.close();
      window.location.reload();
    }
  }

  // The place in line and the expected times, in the viewer's own clock.
  function showQueue(place) {
    queue.hidden = !place;
    if (!place) return;
    const ahead = place.ahead;
    queue.querySelector("[data-ahead]").textContent = ahead === 0 ? "No clip" : `${ahead} clip${ahead === 1 ? "" : "s"}`;
    for (const [selector, moment] of [["[data-start]", place.estimated_start], ["[data-finish]", place.estimated_finish]]) {
      const element = queue.querySelector(selector);
      element.dateTime = moment;
      element.textContent = clock(moment);
    }
  }

  function clock(moment) {
    return new Date(moment).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  for (const element of queue.querySelectorAll("time")) element.textContent = clock(element.dateTime);

  function poll() {
    if (done || poller) return;
    const tick = async () => {
      try {
        const response = await fetch(root.dataset.api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.status === 404 || response.status === 403) clearInterval(poller);
        else if (response.ok) show(await response.json());
      } catch (error) {
        // offline for a moment: the next tick tries again
      }
    };
    poller = setInterval(tick, 1000);
    tick();
  }

  try {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}${root.dataset.socket}`);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "progress" || message.type === "finished") show(message);
    });
    socket.addEventListener("close", () => { if (!done) poll(); });
  } catch (error) {
    poll();
  }
})();
