// The OFD console's front page: failure controls through the admin endpoints, and a poll every second that
// redraws the documents and the FN sequences with the server's own markup (no page reload, no framework).
"use strict";

(() => {
  const POLL_MS = 1000;
  const ADMIN = "/ofd/v1/admin";
  const byId = (id) => document.getElementById(id);
  const modeText = byId("mode");
  const problem = byId("controls-error");
  const rows = byId("documents").tBodies[0];
  const sequenceList = byId("sequence-list");
  const filters = { fn: byId("filter-fn"), type: byId("filter-type"), status: byId("filter-status") };

  function showProblem(message) {
    problem.textContent = message;
    problem.hidden = !message;
  }

  async function refreshMode() {
    const response = await fetch("/console/api/mode", { cache: "no-store" });
    if (response.ok) modeText.textContent = (await response.json()).text;
  }

  async function admin(action, body) {
    try {
      const response = await fetch(`${ADMIN}/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: body === undefined ? "{}" : JSON.stringify(body),
      });
      if (response.ok) {
        showProblem("");
      } else {
        const answer = await response.json().catch(() => ({}));
        showProblem(`Refused (${response.status}): ${answer.message || response.statusText}`);
      }
    } catch (error) {
      showProblem(`The emulator did not answer: ${error}`);
    }
    await refreshMode();
  }

  byId("fail-next").addEventListener("submit", (event) => {
    event.preventDefault();
    admin("set-failure", { failure_count: Number(byId("fail-count").value) });
  });
  byId("fail-permanent").addEventListener("click", () => admin("set-failure", { permanent_failure: true }));
  byId("answer-normally").addEventListener("click", () => admin("set-success"));
  byId("delay").addEventListener("submit", (event) => {
    event.preventDefault();
    admin("set-delay", { delay: Number(byId("delay-seconds").value) });
  });

  function query() {
    const params = new URLSearchParams();
    for (const [name, select] of Object.entries(filters)) {
      if (select.value !== "all") params.set(name, select.value);
    }
    return params.toString();
  }

  function setFnOptions(fns) {
    const select = filters.fn;
    const shown = Array.from(select.options, (option) => option.value).slice(1);
    if (shown.join() === fns.join()) return;
    const chosen = select.value;
    select.replaceChildren(new Option("all", "all"), ...fns.map((fn) => new Option(fn, fn)));
    select.value = fns.includes(chosen) ? chosen : "all";
  }

  let drawnRows = null;
  let drawnSequences = null;
  let polling = false;

  async function refresh() {
    if (polling) return;
    polling = true;
    try {
      const response = await fetch(`/console/api/documents?${query()}`, { cache: "no-store" });
      if (!response.ok) return;
      const feed = await response.json();
      modeText.textContent = feed.mode;
      setFnOptions(feed.fns);
      if (feed.rows_html !== drawnRows) rows.innerHTML = drawnRows = feed.rows_html;
      if (feed.sequences_html !== drawnSequences) sequenceList.innerHTML = drawnSequences = feed.sequences_html;
    } catch (error) {
      // The emulator is restarting or stopped: try again at the next tick.
    } finally {
      polling = false;
    }
  }

  for (const select of Object.values(filters)) {
    select.addEventListener("change", () => {
      const search = query();
      history.replaceState(null, "", search ? `/?${search}` : "/");
      refresh();
    });
  }
  refresh();
  setInterval(refresh, POLL_MS);
})();
