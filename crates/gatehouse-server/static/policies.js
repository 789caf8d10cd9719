// The CSV upload of a policy's members page (templates/policy_members.html). It reads the
// file in the browser the way the server reads one (console/policy_moves.rs, `rows_of`), asks
// the server for the review (each row's planned outcome and the simulation of the move), and
// on confirmation posts the rows in chunks of 500, advancing the progress bar and filling the
// report table with what happened to each row. Without this script the form posts the file
// and the server answers the same review. The session's CSRF token (the form's hidden field)
// goes in the x-csrf-token header. Text from the file or the server is only ever set as text.
(() => {
  const CHUNK = 500;
  const pending = new WeakMap();

  function rowsOf(text) {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const rows = [];
    for (const line of text.split("\n")) {
      let first = line.split(",")[0].trim();
      if (first.length >= 2 && first.startsWith('"') && first.endsWith('"')) first = first.slice(1, -1);
      first = first.trim();
      if (first) rows.push(first);
    }
    if (rows.length && /^(account_id|email)$/i.test(rows[0])) rows.shift();
    return rows;
  }

  function el(tag, text) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  async function post(form, url, entries) {
    const csrf = form.querySelector('input[name="csrf"]').value;
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ entries }),
    });
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    if (!res.ok) throw new Error((body && body.error) || `The server answered ${res.status}; nothing in this step moved.`);
    return body;
  }

  function parts() {
    return {
      review: document.getElementById("csv-review"),
      status: document.getElementById("csv-status"),
      sim: document.getElementById("csv-simulation"),
      confirm: document.getElementById("csv-confirm"),
      progress: document.getElementById("csv-progress"),
      progressText: document.getElementById("csv-progress-text"),
      tbody: document.querySelector("#csv-report tbody"),
    };
  }

  function addRow(tbody, n, row) {
    const tr = el("tr");
    tr.dataset.outcome = row.outcome;
    tr.append(el("td", n), el("td", row.value), el("td", row.label));
    tbody.append(tr);
  }

  function renderSimulation(box, sim) {
    box.replaceChildren();
    if (!sim) return;
    box.append(el("h3", "Simulation"));
    box.append(el("p", `${sim.checked} account(s) checked; ${sim.affected} affected.`));
    const counts = el("ul");
    counts.className = "plain";
    for (const [label, n] of sim.counts) counts.append(el("li", `${label}: ${n}`));
    box.append(counts);
    if (sim.accounts.length) {
      const table = el("table");
      table.id = "csv-simulation-accounts";
      const head = el("tr");
      head.append(el("th", "Account"), el("th", "Why"));
      const body = el("tbody");
      for (const a of sim.accounts) {
        const tr = el("tr");
        tr.append(el("td", a.email), el("td", a.reasons.join("; ")));
        body.append(tr);
      }
      table.append(el("thead"), body);
      table.tHead.append(head);
      const wrap = el("div");
      wrap.className = "table-wrap";
      wrap.append(table);
      box.append(wrap);
    }
    if (sim.truncated) box.append(el("p", "Only the first 1000 affected accounts are listed; the counts cover them all."));
  }

  async function review(form) {
    const p = parts();
    const file = form.querySelector('input[type="file"]').files[0];
    p.review.hidden = false;
    p.confirm.hidden = true;
    p.tbody.replaceChildren();
    p.sim.replaceChildren();
    p.progress.value = 0;
    p.progressText.textContent = "";
    pending.delete(form);
    const rows = rowsOf(await file.text());
    const max = Number(form.dataset.max);
    if (rows.length === 0) {
      p.status.textContent = "The file names no account. Nothing moved.";
      return;
    }
    if (rows.length > max) {
      p.status.textContent = `The file has ${rows.length} rows; at most ${max} accounts move at once. Nothing moved.`;
      return;
    }
    p.status.textContent = "Checking the file…";
    try {
      const answer = await post(form, form.dataset.simulate, rows);
      answer.rows.forEach((r, i) => addRow(p.tbody, i + 1, r));
      const willMove = answer.rows.filter((r) => r.outcome === "will_move").length;
      renderSimulation(p.sim, answer.simulation);
      p.status.textContent = `${willMove} account(s) will move; ${rows.length - willMove} row(s) will not. Nothing has moved yet.`;
      pending.set(form, rows);
      p.confirm.hidden = willMove === 0;
    } catch (e) {
      p.status.textContent = e.message;
    }
  }

  async function move(form) {
    const p = parts();
    const rows = pending.get(form);
    if (!rows) return;
    pending.delete(form);
    p.confirm.hidden = true;
    p.tbody.replaceChildren();
    p.progress.max = rows.length;
    p.progress.value = 0;
    let moved = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      p.status.textContent = `Moving rows ${i + 1} to ${i + chunk.length} of ${rows.length}…`;
      try {
        const answer = await post(form, form.dataset.move, chunk);
        answer.rows.forEach((r, j) => {
          addRow(p.tbody, i + j + 1, r);
          if (r.outcome === "moved") moved += 1;
        });
      } catch (e) {
        p.status.textContent = `Rows ${i + 1} to ${i + chunk.length} were refused: ${e.message} The ${i} row(s) before them were processed (${moved} moved); the rest did not move.`;
        return;
      }
      p.progress.value = i + chunk.length;
      p.progressText.textContent = `${p.progress.value} / ${rows.length}`;
    }
    p.status.textContent = `Done: ${moved} account(s) moved; the report below says what happened to each row.`;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-policy-upload]");
    if (!form || !window.fetch) return;
    const input = form.querySelector('input[type="file"]');
    if (!input.files || !input.files[0]) return;
    event.preventDefault();
    review(form);
  });

  document.addEventListener("click", (event) => {
    if (!event.target.closest("#csv-confirm")) return;
    const form = document.querySelector("form[data-policy-upload]");
    if (form) move(form);
  });
})();
