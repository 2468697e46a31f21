/* SPDX-License-Identifier: GPL-3.0-or-later */
/* banner.js — runs inside a displayed message: one line above a message from
 * a tracked relationship (its state and why), with Reply / Write / Log call /
 * Snooze. Nothing on newsletters, notifications or strangers. The data and
 * the actions come from the background page (which asks keepwarm). */
"use strict";

(async () => {
  if (document.getElementById("keepwarm-banner")) {
    return;
  }
  let data;
  try {
    data = await browser.runtime.sendMessage({ type: "banner" });
  } catch (e) {
    return;
  }
  if (!data || !data.show || !document.body) {
    return;
  }
  const rel = data.rel;
  const msg = (key, ...subs) => browser.i18n.getMessage(key, subs.map(String)) || key;

  const bar = document.createElement("div");
  bar.id = "keepwarm-banner";
  bar.className = "keepwarm-banner keepwarm-state-" + rel.state;
  bar.setAttribute("role", "note");

  const text = document.createElement("span");
  text.className = "keepwarm-banner-text";
  text.textContent = rel.hint;
  text.title = rel.reason || "";
  bar.append(text);

  const status = document.createElement("span");
  status.className = "keepwarm-banner-status";

  for (const action of ["reply", "write", "log-call", "snooze"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "keepwarm-banner-button";
    b.dataset.action = action;
    b.textContent = msg("banner_" + action.replace("-", "_"));
    if (action === rel.hint_action || (action === "snooze" && rel.hint_action === "snooze-week")) {
      b.classList.add("keepwarm-banner-primary");
    }
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const r = await browser.runtime.sendMessage({ type: "banner-action", action, rel, messageId: data.messageId });
        status.textContent = (r && r.message) || "";
        if (r && r.hide) {
          for (const other of bar.querySelectorAll("button")) {
            other.remove();
          }
          text.textContent = "";
        }
      } catch (e) {
        status.textContent = String(e.message || e);
      } finally {
        b.disabled = false;
      }
    });
    bar.append(b);
  }
  bar.append(status);
  document.body.prepend(bar);
})();
