/* SPDX-License-Identifier: GPL-3.0-or-later */
/* background.js — the event page: the toolbar badge, the sync alarm, new and
 * sent mail, the banner's data, the space. Thunderbird suspends this page
 * after 30 s without work and runs it again on the next event, so whatever
 * must survive lives in storage.local, and listeners are added at the top. */
"use strict";

const SYNC_ALARM = "kw-sync";
const AFTER_SEND_ALARM = "kw-after-send";
const DEFAULT_SYNC_MINUTES = 15;
const BANNER_SCRIPT = "keepwarm-banner";
const SPACE_NAME = "keepwarm";
const SYNC_STALE_MS = 30 * 60 * 1000; // a "running" mark older than this is stale in any case

/* ---- set-up (idempotent: runs on every wake) -------------------------------- */

async function ensureBanner() {
  const have = await browser.scripting.messageDisplay.getRegisteredScripts({ ids: [BANNER_SCRIPT] });
  if (!have.length) {
    await browser.scripting.messageDisplay.registerScripts([
      { id: BANNER_SCRIPT, js: ["banner.js"], css: ["banner.css"] },
    ]);
  }
}

async function ensureSpace() {
  const spaces = await browser.spaces.query({ name: SPACE_NAME });
  if (spaces.length) {
    return spaces[0];
  }
  return browser.spaces.create(SPACE_NAME, "space.html", {
    title: kwMsg("spaceTitle"),
    defaultIcons: "icons/keepwarm.svg",
  });
}

async function ensureAlarm() {
  const { syncMinutes } = await browser.storage.local.get({ syncMinutes: DEFAULT_SYNC_MINUTES });
  const alarm = await browser.alarms.get(SYNC_ALARM);
  if (!syncMinutes) {
    if (alarm) {
      await browser.alarms.clear(SYNC_ALARM);
    }
    return;
  }
  if (!alarm || alarm.periodInMinutes !== syncMinutes) {
    browser.alarms.create(SYNC_ALARM, { delayInMinutes: alarm ? syncMinutes : 0.1, periodInMinutes: syncMinutes });
  }
}

/* ---- the badge ------------------------------------------------------------------- */

async function setBadge(text, colour, title) {
  await browser.action.setBadgeText({ text });
  if (colour) {
    await browser.action.setBadgeBackgroundColor({ color: colour });
  }
  await browser.action.setTitle({ title });
  const spaces = await browser.spaces.query({ name: SPACE_NAME });
  if (spaces.length) {
    await browser.spaces.update(spaces[0].id, { badgeText: text, badgeBackgroundColor: colour || "#c92a2a" });
  }
}

/* The badge: Today's open items (the day's list as the host keeps it). */
async function refreshBadge() {
  let state;
  try {
    const today = await kwCall("today");
    const count = Math.max(0, today.size - today.done);
    state = { host: "ok", count, source: "today" };
    await setBadge(count ? String(count) : "", "#c92a2a",
      count ? kwMsg("badgeTodayTitle", count) : kwMsg("badgeNothingTitle"));
  } catch (e) {
    state = { host: e.code, message: e.message };
    if (e.code === "host-missing") {
      await setBadge("!", "#868e96", kwMsg("badgeHostMissingTitle"));
    } else if (e.code === "not-synced" || e.code === "not-configured") {
      await setBadge("", null, kwMsg("badgeNotSetUpTitle"));
    } else {
      await setBadge("?", "#868e96", kwMsg("badgeErrorTitle", e.message));
    }
  }
  await browser.storage.local.set({ hostState: state });
  broadcast({ type: "state", state });
  return state;
}

function broadcast(msg) {
  browser.runtime.sendMessage(msg).catch(() => {}); // no page open: nobody listens
}

/* ---- sync ---------------------------------------------------------------------------- */

/* Run `keepwarm sync` in the host over a port (an open port keeps this page
 * awake) and relay its progress to open pages. */
function syncOverPort() {
  return new Promise((resolve, reject) => {
    let port;
    let answered = false;
    try {
      port = browser.runtime.connectNative(KW_HOST);
    } catch (e) {
      reject(new KwHostError("host-missing", String(e)));
      return;
    }
    port.onMessage.addListener((msg) => {
      if (msg.event === "sync-progress") {
        broadcast({ type: "sync-progress", data: msg.data });
        return;
      }
      answered = true;
      port.disconnect();
      if (msg.ok) {
        resolve(msg.result);
      } else {
        reject(new KwHostError(msg.error.code, msg.error.message));
      }
    });
    port.onDisconnect.addListener((p) => {
      if (answered) {
        return;
      }
      const text = p.error ? String(p.error.message) : "";
      reject(new KwHostError(/No such native application/i.test(text) ? "host-missing" : "host-failed", text));
    });
    port.postMessage({ id: ++kwRequestId, cmd: "sync", progress: true, lang: kwLang() });
  });
}

async function runSync(reason) {
  const { syncRunning } = await browser.storage.local.get({ syncRunning: 0 });
  if (syncRunning && Date.now() - syncRunning < SYNC_STALE_MS) {
    await browser.storage.local.set({ syncAgain: true });
    return;
  }
  await browser.storage.local.set({ syncRunning: Date.now(), syncAgain: false });
  broadcast({ type: "sync-state", running: true, reason });
  let result;
  try {
    result = await syncOverPort();
  } catch (e) {
    result = { error: { code: e.code, message: e.message } };
  }
  const lastSync = { time: new Date().toISOString(), reason, result };
  await browser.storage.local.set({ syncRunning: 0, lastSync });
  broadcast({ type: "sync-state", running: false, lastSync });
  await refreshBadge();
  const { syncAgain } = await browser.storage.local.get({ syncAgain: false });
  if (syncAgain) {
    await runSync("again");
  }
}

/* ---- the banner above a displayed message -------------------------------------------- */

async function bannerData(tabId) {
  const list = await browser.messageDisplay.getDisplayedMessages(tabId);
  const messages = Array.isArray(list) ? list : list.messages;
  if (!messages || messages.length !== 1) {
    return { show: false };
  }
  const message = messages[0];
  let found;
  try {
    found = await kwCall("for-sender", { address: message.author });
  } catch (e) {
    return { show: false, error: e.code }; // the badge tells; reading mail stays quiet
  }
  const rel = found.relationship;
  if (!rel || !rel.hint) {
    return { show: false };
  }
  return { show: true, rel, messageId: message.id };
}

async function bannerAction(msg) {
  const rel = msg.rel;
  switch (msg.action) {
    case "reply":
      await browser.compose.beginReply(msg.messageId, "replyToSender");
      return {};
    case "write":
      await browser.compose.beginNew({ to: [rel.main_person] });
      return {};
    case "snooze": {
      const r = await kwCall("action", { action: "snooze", target: rel.key, days: 7 });
      refreshBadge();
      return { hide: true, message: kwMsg("snoozedUntil", rel.name, kwDate(r.until)) };
    }
    case "log-call":
      try {
        await kwCall("action", { action: "log-call", target: rel.key });
        refreshBadge();
        return { message: kwMsg("callLogged", rel.name) };
      } catch (e) {
        return { message: kwErrorText(e)[0] };
      }
    default:
      return { message: kwMsg("errorBadRequest") };
  }
}

/* ---- the space -------------------------------------------------------------------------- */

async function openSpace(target) {
  if (target) {
    await browser.storage.local.set({ spaceFocus: { target, at: Date.now() } });
  }
  const space = await ensureSpace();
  await browser.spaces.open(space.id);
}

/* ---- events (added at the top level, so a wake-up finds them) ------------------------------- */

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === SYNC_ALARM || alarm.name === AFTER_SEND_ALARM) {
    runSync(alarm.name);
  }
});

browser.messages.onNewMailReceived.addListener(() => {
  runSync("new-mail");
});

function plainRecipients(list) {
  return (Array.isArray(list) ? list : list ? [list] : []).filter((r) => typeof r === "string");
}

/* What is being sent, kept until onAfterSend (the page may sleep between). */
browser.compose.onBeforeSend.addListener(async (tab, details) => {
  await browser.storage.local.set({
    ["sending-" + tab.id]: {
      from: details.from || "",
      to: plainRecipients(details.to),
      cc: plainRecipients(details.cc),
      subject: details.subject || "",
    },
  });
});

/* A sent message ticks Today at once: the host records it as a sync of the
 * Sent folder would (record-sent). When that fails (the store busy, no
 * account matching the From), the sync reads the copy in the Sent folder —
 * now, and once more a minute later in case the copy was still on its way. */
/* The header block of the copy Thunderbird saved (the Sent folder's, which
 * the sync will read: the host records exactly it), or "". */
async function sentHeaders(copy) {
  if (!copy) {
    return "";
  }
  try {
    const raw = await browser.messages.getRaw(copy.id, { data_format: "File" });
    const text = await raw.slice(0, 256 * 1024).text();
    const end = text.search(/\r?\n\r?\n/);
    return end > 0 ? text.slice(0, end + 1) : "";
  } catch (e) {
    return "";
  }
}

browser.compose.onAfterSend.addListener(async (tab, info) => {
  const key = "sending-" + tab.id;
  const { [key]: kept } = await browser.storage.local.get({ [key]: null });
  await browser.storage.local.remove(key);
  if (info.error || info.mode !== "sendNow") {
    return;
  }
  const copy = (info.messages || [])[0];
  const sent = kept || (copy ? { from: copy.author, to: copy.recipients, cc: copy.ccList, subject: copy.subject }
                             : { from: "", to: [], cc: [], subject: "" });
  try {
    await kwCall("record-sent", {
      message_id: info.headerMessageId || "",
      headers: await sentHeaders(copy),
      from: sent.from,
      to: sent.to,
      cc: sent.cc,
      subject: sent.subject,
    });
    await refreshBadge();
  } catch (e) {
    browser.alarms.create(AFTER_SEND_ALARM, { delayInMinutes: 1 });
    await runSync("sent");
  }
});

browser.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.syncMinutes) {
    ensureAlarm();
  }
});

browser.runtime.onMessage.addListener((msg, sender) => {
  switch (msg && msg.type) {
    case "banner":
      return bannerData(sender.tab.id);
    case "banner-action":
      return bannerAction(msg);
    case "refresh":
      return refreshBadge();
    case "sync-now":
      runSync("user");
      return Promise.resolve({ started: true });
    case "open-space":
      return openSpace(msg.target);
    default:
      return undefined;
  }
});

(async () => {
  // This script runs when the page starts or wakes up. A running sync keeps
  // the page awake (its port is open), so a "running" mark found now is left
  // over from a Thunderbird that quit or crashed during a sync.
  await browser.storage.local.set({ syncRunning: 0 });
  await Promise.allSettled([ensureBanner(), ensureSpace(), ensureAlarm()]);
  await refreshBadge();
})();
