/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kw.js — shared by the background script and the add-on's pages: talking to
 * the keepwarm native host, words, and a few DOM helpers.
 *
 * Everything that matters happens in the keepwarm program (the "native host",
 * started by Thunderbird for each request): it reads the same local database
 * and config file as the command line. The protocol is in PROTOCOL.md. */
"use strict";

const KW_HOST = "keepwarm";

class KwHostError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

let kwRequestId = 0;

function kwLang() {
  return browser.i18n.getUILanguage();
}

/* One request, one host process. Resolves with the result; rejects with a
 * KwHostError whose code is the host's ("not-found", "not-available", ...)
 * or "host-missing" when keepwarm is not installed for Thunderbird. */
async function kwCall(cmd, params = {}) {
  const request = Object.assign({ id: ++kwRequestId, cmd, lang: kwLang() }, params);
  let answer;
  try {
    answer = await browser.runtime.sendNativeMessage(KW_HOST, request);
  } catch (e) {
    const text = String((e && e.message) || e);
    // Thunderbird says this for a missing manifest, a wrong path or a wrong add-on id alike.
    if (/No such native application/i.test(text)) {
      throw new KwHostError("host-missing", text);
    }
    throw new KwHostError("host-failed", text);
  }
  if (!answer || typeof answer !== "object") {
    throw new KwHostError("host-failed", "keepwarm gave no answer");
  }
  if (!answer.ok) {
    throw new KwHostError(answer.error.code, answer.error.message);
  }
  return answer.result;
}

/* ---- words ------------------------------------------------------------- */

function kwMsg(key, ...subs) {
  return browser.i18n.getMessage(key, subs.map(String)) || key;
}

/* Fill data-i18n (text), data-i18n-title and data-i18n-placeholder. */
function kwLocalize(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = kwMsg(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = kwMsg(el.dataset.i18nTitle);
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = kwMsg(el.dataset.i18nPlaceholder);
  }
  if (root === document) {
    document.documentElement.lang = kwLang();
  }
}

/* What to tell the user about a failed request: [headline, detail]. */
function kwErrorText(err) {
  const code = (err && err.code) || "host-failed";
  const known = {
    "host-missing": "errorHostMissing",
    "host-failed": "errorHostFailed",
    "not-configured": "errorNotConfigured",
    "not-synced": "errorNotSynced",
    "not-available": "errorNotAvailable",
    "keyring": "errorKeyring",
    "busy": "errorBusy",
    "not-found": "errorNotFound",
    "store": "errorStore",
    "store-corrupt": "errorStore",
    "store-too-new": "errorStoreTooNew",
    "config": "errorConfig",
    "bad-request": "errorBadRequest",
  };
  return [kwMsg(known[code] || "errorGeneric"), err && err.message ? err.message : ""];
}

/* "3 minutes ago", "yesterday" ... in the UI language. */
function kwRelativeTime(iso) {
  if (!iso) {
    return "";
  }
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(kwLang(), { numeric: "auto" });
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) {
      return rtf.format(Math.round(seconds / size), unit);
    }
  }
  return rtf.format(0, "minute");
}

function kwDate(iso) {
  return iso ? new Intl.DateTimeFormat(kwLang(), { dateStyle: "medium" }).format(new Date(iso)) : "";
}

/* ---- DOM ----------------------------------------------------------------- */

function $(id) {
  return document.getElementById(id);
}

/* An element with attributes and children (strings become text, never HTML). */
function kwEl(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") {
      el.className = v;
    } else if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "dataset") {
      Object.assign(el.dataset, v);
    } else if (k === "style") {
      el.style.cssText = v; // CSSOM: a style attribute would be refused by the page's CSP
    } else if (v !== undefined && v !== null && v !== false) {
      el.setAttribute(k, v === true ? "" : v);
    }
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return el;
}

/* Show an error (or nothing) in a container: headline + detail + hints. */
function kwShowError(container, err) {
  const [headline, detail] = kwErrorText(err);
  container.replaceChildren(
    kwEl("p", { class: "kw-error-headline" }, headline),
    detail ? kwEl("p", { class: "kw-error-detail" }, detail) : null,
  );
  if (err && err.code === "host-missing") {
    container.append(
      kwEl("p", {}, kwMsg("hostMissingHow")),
      kwEl("pre", { class: "kw-commands" }, "sudo apt install keepwarm webext-keepwarm\nkeepwarm setup-thunderbird"),
      kwEl("p", {}, kwMsg("hostMissingRestart")),
    );
  }
  container.hidden = false;
}

/* kwShowError, plus the one step that helps: set up an account, or sync. */
function kwShowProblem(container, err) {
  kwShowError(container, err);
  if (err.code === "not-configured") {
    container.append(kwEl("button", { class: "kw-primary", onclick: () => browser.runtime.openOptionsPage() },
      kwMsg("setUpAccount")));
  } else if (err.code === "not-synced") {
    container.append(kwEl("button", { class: "kw-primary",
      onclick: () => browser.runtime.sendMessage({ type: "sync-now" }) }, kwMsg("syncNow")));
  }
}

/* The sync line of a page: "Synced 3 minutes ago", "Syncing…", or the last
 * sync's problem. Without a sync of this profile's add-on, the host's record
 * of the last one (from another profile, the command line, cron). */
async function kwShowSyncLine(el) {
  let { syncRunning, lastSync } = await browser.storage.local.get({ syncRunning: 0, lastSync: null });
  if (!lastSync && !syncRunning) {
    try {
      lastSync = (await kwCall("status")).last_sync;
    } catch (e) {
      lastSync = null; // the page itself shows what is wrong with the host
    }
  }
  el.textContent = kwSyncText(syncRunning, lastSync);
}

/* The actions a relationship row offers, done here or by the background. */
async function kwRowAction(action, rel) {
  switch (action) {
    case "write":
      await browser.compose.beginNew({ to: [rel.main_person] });
      return null;
    case "snooze":
      return kwCall("action", { action: "snooze", target: rel.key, days: 7 });
    case "unsnooze":
      return kwCall("action", { action: "unsnooze", target: rel.key });
    case "ignore":
      return kwCall("action", { action: "ignore", target: rel.key });
    case "unignore":
      return kwCall("action", { action: "unignore", target: rel.key });
    case "done":
    case "skip":
    case "log-call":
    case "log-meeting":
      return kwCall("action", { action, target: rel.key });
    case "details":
      await browser.runtime.sendMessage({ type: "open-space", target: rel.key });
      return null;
    default:
      throw new KwHostError("bad-request", action);
  }
}

/* One relationship as a list row: a coloured state (kw.css, by the row's
 * kw-state-STATE class), the name, the hint line,
 * and buttons. onAction(action, rel, row) runs when one is pressed. */
function kwRelationshipRow(rel, actions, onAction) {
  const buttons = actions.map((a) =>
    kwEl("button", { class: "kw-btn", dataset: { action: a }, onclick: () => onAction(a, rel, row) },
      kwMsg("action_" + a.replace(/-/g, "_"))));
  const row = kwEl("li", { class: "kw-row kw-state-" + rel.state, dataset: { key: rel.key } },
    kwEl("span", { class: "kw-dot", title: rel.state_text }),
    kwEl("div", { class: "kw-row-main" },
      kwEl("div", { class: "kw-row-title" },
        kwEl("strong", {}, rel.name),
        kwEl("span", { class: "kw-state" }, rel.state_text)),
      kwEl("div", { class: "kw-row-hint" }, rel.hint || rel.reason || ""),
      kwEl("div", { class: "kw-row-actions" }, buttons),
      kwEl("div", { class: "kw-row-status", hidden: true })));
  return row;
}

/* One item of Today's list (the host's `today` item: name, state, why it is
 * listed, the reason; how it was handled once done) as a list row. */
function kwTodayRow(item, actions, onAction) {
  const rel = { key: item.key, name: item.name || item.key, state: item.state, state_text: item.state_text,
                reason: item.reason, main_person: item.main_person };
  const row = kwRelationshipRow(rel, actions, onAction);
  row.classList.add("kw-today-item");
  row.classList.toggle("kw-handled", item.done);
  row.querySelector(".kw-row-title").append(
    kwEl("span", { class: "kw-slot kw-slot-" + item.slot }, item.done ? "✓ " + item.how_text : item.slot_text));
  return row;
}

/* What an action did, for the row's status line. */
function kwActionDoneText(action, rel, result) {
  switch (action) {
    case "snooze":
      return kwMsg("snoozedUntil", rel.name, kwDate(result && result.until));
    case "unsnooze":
      return kwMsg("unsnoozed", rel.name);
    case "ignore":
      return kwMsg("ignored", rel.name);
    case "unignore":
      return kwMsg("unignored", rel.name);
    case "done":
      return kwMsg("markedDone");
    case "skip":
      return kwMsg("markedSkipped");
    case "log-call":
      return kwMsg("callLogged", rel.name);
    case "log-meeting":
      return kwMsg("meetingLogged", rel.name);
    default:
      return "";
  }
}

/* One account's sync outcome in words (the final event of `keepwarm sync`). */
function kwSyncAccountText(ev) {
  const byStatus = {
    auth: "syncErrAuth",
    tls: "syncErrTls",
    insecure: "syncErrTls",
    network: "syncErrNetwork",
    server: "syncErrServer",
    busy: "syncErrBusy",
    store: "errorStore",
    "store-corrupt": "errorStore",
    partial: "syncPartial",
  };
  const key = byStatus[ev.status];
  return kwMsg("syncAccountProblem", ev.account, key ? kwMsg(key) : ev.message || ev.status);
}

/* The sync line of the popup and the space. */
function kwSyncText(running, lastSync) {
  if (running) {
    return kwMsg("syncRunning");
  }
  if (!lastSync) {
    return kwMsg("syncNever");
  }
  const r = lastSync.result || {};
  if (r.error) {
    return kwMsg("syncFailed", kwErrorText(r.error)[0]);
  }
  const bad = (r.accounts || []).filter((ev) => ev.status && ev.status !== "ok");
  if (bad.length) {
    return bad.map(kwSyncAccountText).join(" ");
  }
  return kwMsg("syncedAgo", kwRelativeTime(lastSync.time));
}
