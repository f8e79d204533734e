// The adapter's page: reads its JSON API every second and redraws (no reload, no framework); the DLQ buttons
// call the existing re-drive and resolve routes. With KKT_API_TOKEN set, the token typed in the form is kept
// in this tab's sessionStorage and sent as Authorization: Bearer with every call.
"use strict";

(() => {
  const TOKEN_KEY = "kkt-adapter-token";
  const RECEIPTS = 20;
  const byId = (id) => document.getElementById(id);
  const main = byId("console");
  const pollMs = Number(main.dataset.pollMs) || 1000;
  const tokenForm = byId("token-form");
  const tokenInput = byId("token");
  const authNeeded = byId("auth-needed");
  const connection = byId("connection");
  const lastAction = byId("last-action");
  const receiptRows = byId("receipts").tBodies[0];
  const dlqRows = byId("dlq").tBodies[0];

  class Unauthorized extends Error {}

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  async function call(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    const response = await fetch(path, { cache: "no-store", ...options, headers });
    if (response.status === 401) throw new Unauthorized(path);
    return response;
  }

  async function json(path, okStatuses = [200]) {
    const response = await call(path);
    if (!okStatuses.includes(response.status)) return null;
    return response.json();
  }

  function setText(id, text) {
    const element = byId(id);
    const shown = text === null || text === undefined || text === "" ? "—" : String(text);
    if (element.textContent !== shown) element.textContent = shown;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) td.className = className;
    return td;
  }

  function drawHealth(health) {
    setText("health", health.status);
    setText("breaker", health.circuit_breaker);
    setText("network", health.network_status);
    const problems = byId("problems");
    const listed = JSON.stringify(health.problems || []);
    if (problems.dataset.listed !== listed) {
      problems.dataset.listed = listed;
      if (!(health.problems || []).length) {
        problems.textContent = "none";
      } else {
        const list = document.createElement("ul");
        for (const problem of health.problems) list.appendChild(document.createElement("li")).textContent = problem;
        problems.replaceChildren(list);
      }
    }
    const kkt = health.kkt || {};
    setText("unsent", kkt.unsent_count);
    setText("oldest-unsent", kkt.oldest_unsent_fd ? `FD ${kkt.oldest_unsent_fd}, ${kkt.oldest_unsent_at}` : "none");
  }

  function drawBuffer(status) {
    setText("pending", status.pending_count);
    setText("synced", status.synced_count);
    setText("dlq-count", status.dlq_count);
    setText("capacity", `${status.percent_full}% full (max ${status.capacity})`);
  }

  function drawShift(shift) {
    if (shift === null) setText("shift", "the register cannot be read");
    else if (shift.shift_open) setText("shift", `open, No. ${shift.shift_number}${shift.shift_expired ? " (over the limit: close it)" : ""}`);
    else setText("shift", shift.shift_number ? `closed (last No. ${shift.shift_number})` : "closed (none yet)");
  }

  function drawnOnce(tbody, data) {
    const text = JSON.stringify(data);
    if (tbody.dataset.drawn === text) return true;
    tbody.dataset.drawn = text;
    return false;
  }

  function drawReceipts(answer) {
    if (drawnOnce(receiptRows, answer.receipts)) return;
    receiptRows.replaceChildren();
    for (const receipt of answer.receipts) {
      const row = receiptRows.insertRow();
      row.className = "receipt";
      row.dataset.id = receipt.id;
      row.dataset.status = receipt.status;
      row.dataset.fd = receipt.fiscal_doc_number ?? "";
      cell(row, receipt.created_at);
      cell(row, receipt.id, "id");
      cell(row, receipt.pos_id);
      cell(row, receipt.operation);
      cell(row, receipt.total, "total");
      cell(row, receipt.fn_serial);
      cell(row, receipt.fiscal_doc_number);
      cell(row, receipt.status, "status");
      cell(row, receipt.attempts);
      cell(row, receipt.last_error, "error");
      cell(row, receipt.synced_at);
    }
  }

  function button(className, text, label) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = className;
    element.textContent = text;
    element.setAttribute("aria-label", label);
    return element;
  }

  function drawDlq(answer) {
    if (drawnOnce(dlqRows, answer.entries)) return;
    dlqRows.replaceChildren();
    for (const entry of answer.entries) {
      const row = dlqRows.insertRow();
      row.className = "dlq-entry";
      row.dataset.id = entry.id;
      row.dataset.receiptId = entry.receipt_id ?? "";
      cell(row, entry.id);
      cell(row, entry.receipt_id ?? `FN document (type ${entry.doc_type})`, "id");
      cell(row, entry.fn_serial);
      cell(row, entry.fiscal_doc_number);
      cell(row, entry.reason, "error");
      cell(row, entry.attempts);
      cell(row, entry.created_at);
      const actions = cell(row, "", "actions");
      actions.append(button("redrive", "Re-drive", `Re-drive DLQ entry ${entry.id}`), " ",
        button("resolve", "Resolve", `Resolve DLQ entry ${entry.id}`));
    }
  }

  function showAuthNeeded(needed) {
    authNeeded.hidden = !needed;
    if (needed) tokenForm.hidden = false;
  }

  function showConnection(message) {
    connection.textContent = message;
    connection.hidden = !message;
  }

  let polling = false;

  async function refresh() {
    if (polling) return;
    if (main.dataset.tokenRequired === "true" && !token()) {  // no call bound to be refused: ask first
      showAuthNeeded(true);
      return;
    }
    polling = true;
    try {
      const [health, status, shift, receipts, dlq] = await Promise.all([
        json("/v1/health", [200, 503]),
        json("/v1/kkt/buffer/status"),
        json("/v1/kkt/shift"),
        json(`/v1/kkt/receipts?limit=${RECEIPTS}`),
        json("/v1/kkt/dlq"),
      ]);
      showAuthNeeded(false);
      showConnection("");
      if (health) drawHealth(health);
      if (status) drawBuffer(status);
      drawShift(shift);
      if (receipts) drawReceipts(receipts);
      if (dlq) drawDlq(dlq);
    } catch (error) {
      if (error instanceof Unauthorized) showAuthNeeded(true);
      else showConnection(`The adapter did not answer: ${error.message}`);
    } finally {
      polling = false;
    }
  }

  async function act(action, row) {
    const entry = row.dataset.id;
    const what = row.dataset.receiptId ? `DLQ entry ${entry} (receipt ${row.dataset.receiptId})` : `DLQ entry ${entry}`;
    const options = { method: "POST" };
    if (action === "resolve") {  // the route takes an optional JSON note; the adapter refuses a body not declared JSON
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify({ note: "resolved on the adapter's page" });
    }
    for (const element of row.querySelectorAll("button")) element.disabled = true;
    try {
      const response = await call(`/v1/kkt/dlq/${encodeURIComponent(entry)}/${action}`, options);
      const answer = await response.json().catch(() => ({}));
      lastAction.dataset.outcome = response.ok ? "ok" : "refused";
      lastAction.textContent = response.ok
        ? `${action === "redrive" ? "Re-drove" : "Resolved"} ${what}.`
        : `Refused (${response.status}): ${answer.message || response.statusText}`;
    } catch (error) {
      lastAction.dataset.outcome = "refused";
      lastAction.textContent = error instanceof Unauthorized
        ? "Refused (401): the adapter asks for its API token"
        : `The adapter did not answer: ${error.message}`;
      if (error instanceof Unauthorized) showAuthNeeded(true);
    }
    dlqRows.dataset.drawn = "";  // redraw, so a refused entry's buttons come back
    await refresh();
  }

  byId("dlq").addEventListener("click", (event) => {
    const pressed = event.target.closest("button.redrive, button.resolve");
    if (!pressed || pressed.disabled) return;
    act(pressed.classList.contains("redrive") ? "redrive" : "resolve", pressed.closest("tr.dlq-entry"));
  });

  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    tokenInput.value = "";
    refresh();
  });

  refresh();
  setInterval(refresh, pollMs);
})();
