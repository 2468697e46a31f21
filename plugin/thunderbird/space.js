/* SPDX-License-Identifier: GPL-3.0-or-later */
/* space.js — the full view in its own space (the button in the left bar):
 * Today (first), everything needing attention, snoozed and ignored, the
 * weekly review (week by week, as `keepwarm review`), and the details of one
 * relationship (timeline, rhythm, tier, note). */
"use strict";

let currentView = "today";
let selected = null; // the key of the relationship shown in the details

async function onAction(action, rel, row) {
  const status = row ? row.querySelector(".kw-row-status") : $("d-status");
  status.hidden = false;
  status.textContent = "…";
  try {
    const r = await kwRowAction(action, rel);
    status.textContent = kwActionDoneText(action, rel, r);
    if (action !== "write" && action !== "details") {
      browser.runtime.sendMessage({ type: "refresh" });
      await showView(currentView);
      if (selected) {
        await select(selected);
        $("d-status").textContent = kwActionDoneText(action, rel, r);
      }
    }
  } catch (e) {
    status.textContent = kwErrorText(e)[0];
  }
}

function rowsFor(items, actions) {
  return kwEl("ul", { class: "kw-list" }, items.map((rel) => {
    const row = kwRelationshipRow(rel, actions, onAction);
    row.querySelector("strong").addEventListener("click", () => select(rel.key));
    row.classList.toggle("kw-selected", rel.key === selected);
    return row;
  }));
}

const views = {
  async today() {
    const today = await kwCall("today");
    const list = kwEl("ul", { class: "kw-list" }, today.items.map((item) => {
      const row = kwTodayRow(item, item.done ? [] : ["done", "skip", "log-call", "log-meeting", "write"], onAction);
      row.querySelector("strong").addEventListener("click", () => select(item.key));
      row.classList.toggle("kw-selected", item.key === selected);
      return row;
    }));
    return [
      kwEl("p", { id: "today-progress" }, today.progress),
      kwEl("div", { class: "kw-progress" },
        kwEl("div", { style: "width: " + (today.size ? Math.round((100 * today.done) / today.size) : 0) + "%" })),
      today.items.length ? list : kwEl("p", { class: "kw-muted" }, kwMsg("todayEmpty")),
    ];
  },
  async attention() {
    const r = await kwCall("overdue", { limit: 1000 });
    if (!r.total) {
      return [kwEl("p", { class: "kw-muted" }, kwMsg("nothingNeedsAttention"))];
    }
    return [rowsFor(r.items, ["write", "snooze", "ignore"])];
  },
  async quiet() {
    const [snoozed, ignored] = await Promise.all([
      kwCall("overdue", { state: "snoozed", limit: 1000 }),
      kwCall("overdue", { state: "ignored", limit: 1000 }),
    ]);
    return [
      kwEl("h2", {}, kwMsg("snoozedHeading")),
      snoozed.total ? rowsFor(snoozed.items, ["unsnooze"]) : kwEl("p", { class: "kw-muted" }, kwMsg("noneSnoozed")),
      kwEl("h2", {}, kwMsg("ignoredHeading")),
      ignored.total ? rowsFor(ignored.items, ["unignore"]) : kwEl("p", { class: "kw-muted" }, kwMsg("noneIgnored")),
    ];
  },
  async review() {
    const review = await kwCall("review", { weeks: 8 });
    const head = ["reviewWeek", "reviewDone", "reviewSkipped", "reviewBack", "reviewOverdueEnd"];
    const weeks = review.weeks;
    return [
      kwEl("table", { class: "kw-review" },
        kwEl("thead", {}, kwEl("tr", {}, head.map((k) => kwEl("th", {}, kwMsg(k))))),
        kwEl("tbody", {}, weeks.slice().reverse().map((w) =>
          kwEl("tr", {},
            kwEl("td", { title: kwDate(w.start) }, w.week),
            kwEl("td", {}, w.done + " / " + w.listed),
            kwEl("td", {}, String(w.skipped)),
            kwEl("td", {}, String(w.brought_back)),
            kwEl("td", {}, String(w.overdue_end)))))),
      kwEl("p", { class: "kw-trend" }, kwMsg("reviewTrend", review.overdue_sparkline,
        String(weeks.length ? weeks[0].overdue_end : 0), String(weeks.length ? weeks[weeks.length - 1].overdue_end : 0))),
    ];
  },
};

async function showView(name) {
  currentView = name;
  for (const b of document.querySelectorAll("#views button")) {
    b.classList.toggle("kw-current", b.dataset.view === name);
  }
  $("problem").hidden = true;
  $("view-note").hidden = true;
  try {
    $("view").replaceChildren(...(await views[name]()));
  } catch (e) {
    $("view").replaceChildren();
    kwShowProblem($("problem"), e);
  }
}

async function select(key) {
  selected = key;
  for (const row of document.querySelectorAll(".kw-row")) {
    row.classList.toggle("kw-selected", row.dataset.key === key);
  }
  let rel, timeline;
  try {
    [{ relationship: rel }, timeline] = await Promise.all([
      kwCall("relationship", { target: key }),
      kwCall("timeline", { target: key, limit: 100 }),
    ]);
  } catch (e) {
    $("details").hidden = true;
    kwShowProblem($("problem"), e);
    return;
  }
  $("d-title").textContent = rel.name;
  $("d-state").textContent = rel.state_text;
  $("d-state").className = "kw-state kw-state-" + rel.state;
  $("d-hint").textContent = rel.hint || "";
  $("d-reason").textContent = rel.reason || "";
  $("d-status").textContent = "";
  $("d-people").textContent = rel.people.join(", ");
  $("d-cadence").textContent = rel.cadence_text + (rel.cadence_user_set ? " " + kwMsg("cadenceUserSet") : "");
  $("d-cadence-days").value = rel.cadence_days || "";
  $("d-note").value = rel.note || "";
  for (const b of document.querySelectorAll("#d-tier button")) {
    b.classList.toggle("kw-current", b.dataset.tier === (rel.tier || "none"));
  }
  const actions = ["write", rel.state === "snoozed" ? "unsnooze" : "snooze", rel.state === "ignored" ? "unignore" : "ignore"];
  $("d-actions").replaceChildren(...actions.map((a) =>
    kwEl("button", { class: "kw-btn", onclick: () => onAction(a, rel, null) }, kwMsg("action_" + a))));
  $("d-timeline").replaceChildren(...timeline.items.map((t) =>
    kwEl("li", {},
      kwEl("span", { class: "kw-when", title: t.time }, kwDate(t.time)),
      kwEl("span", { class: "kw-dir", title: kwMsg("direction_" + t.direction) },
        { in: "←", out: "→", both: "⇄" }[t.direction]),
      kwEl("span", {}, t.address),
      kwEl("span", { class: "kw-muted" }, t.subject || ""))));
  if (timeline.truncated) {
    $("d-timeline").append(kwEl("li", { class: "kw-muted" }, kwMsg("andMore", timeline.total - timeline.items.length)));
  }
  $("details").hidden = false;
}

async function setCadence(days) {
  try {
    await kwCall("action", { action: "cadence", target: selected, days });
    browser.runtime.sendMessage({ type: "refresh" });
    await select(selected);
    await showView(currentView);
  } catch (e) {
    $("d-status").textContent = kwErrorText(e)[0];
  }
}

async function focusFromStorage() {
  const { spaceFocus } = await browser.storage.local.get({ spaceFocus: null });
  if (spaceFocus) {
    await browser.storage.local.remove("spaceFocus");
    await showView("attention");
    await select(spaceFocus.target);
  }
}

kwLocalize();
for (const b of document.querySelectorAll("#views button")) {
  b.addEventListener("click", () => showView(b.dataset.view));
}
$("sync-now").addEventListener("click", () => browser.runtime.sendMessage({ type: "sync-now" }));
$("settings").addEventListener("click", () => browser.runtime.openOptionsPage());
$("d-cadence-set").addEventListener("click", () => {
  const days = parseInt($("d-cadence-days").value, 10);
  if (days > 0) {
    setCadence(days);
  }
});
$("d-cadence-auto").addEventListener("click", () => setCadence(0));
for (const b of document.querySelectorAll("#d-tier button")) {
  b.addEventListener("click", async () => {
    try {
      await kwCall("action", { action: "tier", target: selected, tier: b.dataset.tier });
      browser.runtime.sendMessage({ type: "refresh" });
      await select(selected);
      await showView(currentView);
    } catch (e) {
      $("d-status").textContent = kwErrorText(e)[0];
    }
  });
}
$("d-note-save").addEventListener("click", async () => {
  try {
    await kwCall("action", { action: "note", target: selected, text: $("d-note").value });
    $("d-status").textContent = kwMsg("noteSaved");
  } catch (e) {
    $("d-status").textContent = kwErrorText(e)[0];
  }
});
browser.runtime.onMessage.addListener((msg) => {
  if (msg.type === "sync-state" && !msg.running) {
    showView(currentView);
  }
  if (msg.type === "sync-state" || msg.type === "sync-progress" || msg.type === "state") {
    kwShowSyncLine($("sync-line"));
  }
});
browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.spaceFocus && changes.spaceFocus.newValue) {
    focusFromStorage();
  }
});

kwShowSyncLine($("sync-line"));
(async () => {
  await showView("today");
  await focusFromStorage();
})();
