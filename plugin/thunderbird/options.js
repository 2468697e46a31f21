/* SPDX-License-Identifier: GPL-3.0-or-later */
/* options.js — set-up: the IMAP account keepwarm reads (once, where no
 * keepwarm config exists yet), and how often it syncs.
 *
 * Thunderbird gives add-ons no access to its passwords, so this page asks
 * for the password once and hands it to keepwarm, which keeps it in the
 * desktop keyring (never in the add-on's storage, never in a file). */
"use strict";

let savedAccount = null; // the account just set up, until its first sync ends

function status(text, isError) {
  const box = $("form-status");
  box.hidden = false;
  box.replaceChildren(kwEl("p", { class: isError ? "kw-error-headline" : "" }, text));
}

function accountRow(a) {
  const what = kwMsg(a.password === "keyring" ? "passwordInKeyring" : a.password === "oauth2" ? "passwordOauth"
    : "passwordCommand");
  const row = kwEl("li", { class: "kw-row kw-account" },
    kwEl("div", {}, kwEl("strong", {}, a.name), kwEl("div", { class: "kw-muted" }, `${a.user} @ ${a.host} — ${what}`)));
  if (a.managed_here) {
    row.append(kwEl("div", {},
      kwEl("button", { onclick: () => prefill(a) }, kwMsg("changePassword")),
      kwEl("button", { onclick: () => removeAccount(a, row) }, kwMsg("remove"))));
  }
  return row;
}

function prefill(a) {
  $("host").value = a.host;
  $("user").value = a.user;
  $("security").value = a.tls;
  $("port").value = a.port || "";
  $("me").value = a.me.join(", ");
  $("form-section").hidden = false;
  $("password").focus();
}

async function removeAccount(a, row) {
  try {
    await kwCall("remove-account", { name: a.name });
    row.remove();
    browser.runtime.sendMessage({ type: "refresh" });
  } catch (e) {
    status(kwErrorText(e).join(" "), true);
  }
}

/* Thunderbird's identities as a head start (it tells add-ons no server names). */
async function fillIdentities() {
  const select = $("identity");
  const accounts = await browser.accounts.list();
  for (const account of accounts) {
    if (account.type !== "imap") {
      continue;
    }
    for (const id of account.identities) {
      select.append(kwEl("option", { value: id.email, dataset: { account: account.name } },
        id.name ? `${id.name} <${id.email}>` : id.email));
    }
  }
  select.append(kwEl("option", { value: "" }, kwMsg("identityOther")));
  select.addEventListener("change", () => useIdentity(select.value));
  useIdentity(select.value);
}

function useIdentity(email) {
  if (!email) {
    return;
  }
  $("user").value = email;
  $("me").value = email;
  if (!$("host").value) {
    $("host").placeholder = "imap." + email.split("@")[1];
  }
}

async function load() {
  let st;
  try {
    st = await kwCall("status");
  } catch (e) {
    kwShowError($("problem"), e);
    return;
  }
  $("accounts").replaceChildren(...st.accounts.map(accountRow));
  $("accounts-section").hidden = st.accounts.length === 0;
  $("config-path").textContent = kwMsg("configFile", st.config.path);
  $("form-section").hidden = st.accounts.length > 0;
  if (st.accounts.length > 0) {
    $("accounts-section").append(kwEl("button", { onclick: () => { $("form-section").hidden = false; } },
      kwMsg("addAnother")));
  }
}

$("account-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const password = $("password").value;
  $("password").value = ""; // the page keeps no copy
  const me = $("me").value.split(/[,;\s]+/).filter((s) => s.includes("@"));
  const port = parseInt($("port").value, 10);
  const chosen = $("identity").selectedOptions[0];
  const request = {
    host: $("host").value.trim() || $("host").placeholder,
    user: $("user").value.trim(),
    tls: $("security").value,
    password,
    me,
  };
  if (port > 0) {
    request.port = port;
  }
  if (chosen && chosen.dataset.account) {
    request.name = chosen.dataset.account.replace(/[[\]]/g, ""); // named as in Thunderbird
  }
  status(kwMsg("saving"));
  try {
    const r = await kwCall("set-account", request);
    savedAccount = r.account;
    status(kwMsg("savedSyncing", r.account));
    await browser.runtime.sendMessage({ type: "sync-now" });
    await load();
  } catch (e) {
    status(kwErrorText(e).join(" "), true);
  }
});

$("sync-minutes-save").addEventListener("click", async () => {
  const minutes = Math.max(0, Math.min(1440, parseInt($("sync-minutes").value, 10) || 0));
  await browser.storage.local.set({ syncMinutes: minutes });
  $("sync-minutes").value = minutes;
});
$("sync-now").addEventListener("click", () => browser.runtime.sendMessage({ type: "sync-now" }));

browser.runtime.onMessage.addListener((msg) => {
  if (msg.type === "sync-progress" && msg.data && msg.data.folder) {
    $("sync-line").textContent = kwMsg("syncProgress", msg.data.account, msg.data.folder, msg.data.done || 0,
      msg.data.total || 0);
  } else if (msg.type === "sync-state") {
    kwShowSyncLine($("sync-line"));
    if (!msg.running && savedAccount) {
      // The first sync of the account just set up: say how it went.
      const r = (msg.lastSync && msg.lastSync.result) || {};
      const mine = (r.accounts || []).find((ev) => ev.account === savedAccount);
      if (r.error || !mine || mine.status !== "ok") {
        status(kwSyncText(false, msg.lastSync), true);
      } else {
        status(kwMsg("setUpDone", savedAccount));
      }
      savedAccount = null;
    }
  }
});

kwLocalize();
(async () => {
  const { syncMinutes } = await browser.storage.local.get({ syncMinutes: 15 });
  $("sync-minutes").value = syncMinutes;
  kwShowSyncLine($("sync-line"));
  await fillIdentities();
  await load();
})();
