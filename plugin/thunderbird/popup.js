/* SPDX-License-Identifier: GPL-3.0-or-later */
/* popup.js — the toolbar button's popup: Today's short list with its
 * progress line (once the daily routine exists), else the relationships
 * needing attention; actions on each; set-up and "not installed" help. */
"use strict";

const MAX_ROWS = 8;

async function onAction(action, rel, row) {
  const status = row.querySelector(".kw-row-status");
  status.hidden = false;
  status.textContent = "…";
  try {
    const r = await kwRowAction(action, rel);
    status.textContent = kwActionDoneText(action, rel, r);
    if (["snooze", "ignore", "done", "skip"].includes(action)) {
      row.querySelector(".kw-row-actions").remove();
      browser.runtime.sendMessage({ type: "refresh" });
    }
    if (action === "write" || action === "details") {
      window.close();
    }
  } catch (e) {
    status.textContent = kwErrorText(e)[0];
  }
}

/* Provisional shape (PROTOCOL.md): {progress: {done, total}, progress_text?,
 * items: [{status: "open"|"done"|"skipped", relationship}]}. */
function renderToday(today) {
  const { done, total } = today.progress;
  $("today-progress").textContent = today.progress_text || kwMsg("todayProgress", done, total);
  $("today-bar").style.width = total ? Math.round((100 * done) / total) + "%" : "0";
  $("today-list").replaceChildren(...today.items.map((item) => {
    const open = item.status === "open";
    const row = kwRelationshipRow(item.relationship, open ? ["done", "skip", "log-call", "write"] : [], onAction);
    row.classList.toggle("kw-handled", !open);
    return row;
  }));
  $("today").hidden = false;
}

function renderAttention(overdue) {
  $("attention-list").replaceChildren(...overdue.items.map((rel) =>
    kwRelationshipRow(rel, ["write", "snooze", "details"], onAction)));
  const more = overdue.total - overdue.items.length;
  $("attention-more").hidden = more <= 0;
  $("attention-more").textContent = more > 0 ? kwMsg("andMore", more) : "";
  $("attention-empty").hidden = overdue.total > 0;
  $("attention").hidden = false;
}

async function show() {
  try {
    renderToday(await kwCall("today"));
    return;
  } catch (e) {
    if (e.code !== "not-available") {
      kwShowProblem($("problem"), e);
      return;
    }
    $("today-missing").hidden = false;
  }
  try {
    renderAttention(await kwCall("overdue", { limit: MAX_ROWS }));
  } catch (e) {
    kwShowProblem($("problem"), e);
  }
}

async function load() {
  $("problem").hidden = true;
  kwShowSyncLine($("sync-line"));
  await show();
  // What the popup just saw, the badge shows too (keepwarm removed, synced meanwhile...).
  browser.runtime.sendMessage({ type: "refresh" });
}

async function syncNow() {
  await browser.runtime.sendMessage({ type: "sync-now" });
  kwShowSyncLine($("sync-line"));
}

kwLocalize();
$("open-space").addEventListener("click", async () => {
  await browser.runtime.sendMessage({ type: "open-space" });
  window.close();
});
$("sync-now").addEventListener("click", syncNow);
$("settings").addEventListener("click", () => {
  browser.runtime.openOptionsPage();
  window.close();
});
browser.runtime.onMessage.addListener((msg) => {
  if (msg.type === "sync-state" && !msg.running) {
    load();
  } else if (msg.type === "sync-state" || msg.type === "sync-progress") {
    kwShowSyncLine($("sync-line"));
  }
});
load();
