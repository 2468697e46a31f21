/* SPDX-License-Identifier: GPL-3.0-or-later */
/* popup.js — the toolbar button's popup: Today's short list with its
 * progress line, each open item with Done / Skip / Log call / Write; set-up
 * and "not installed" help. What is listed and every word of it come from
 * the host (the same list as `keepwarm today`). */
"use strict";

async function onAction(action, item, row) {
  const status = row.querySelector(".kw-row-status");
  status.hidden = false;
  status.textContent = "…";
  try {
    const r = await kwRowAction(action, item);
    if (action === "write" || action === "details") {
      window.close();
      return;
    }
    if (r && r.today) {
      renderToday(r.today); // done / skip answer the list as it is now
    } else {
      await show();
    }
    browser.runtime.sendMessage({ type: "refresh" });
  } catch (e) {
    status.textContent = kwErrorText(e)[0];
  }
}

function renderToday(today) {
  $("today-progress").textContent = today.progress;
  $("today-bar").style.width = today.size ? Math.round((100 * today.done) / today.size) + "%" : "0";
  $("today-list").replaceChildren(...today.items.map((item) =>
    kwTodayRow(item, item.done ? [] : ["done", "skip", "log-call", "write"], onAction)));
  $("today-empty").hidden = today.items.length > 0;
  $("today").hidden = false;
}

async function show() {
  try {
    renderToday(await kwCall("today"));
  } catch (e) {
    $("today").hidden = true;
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
