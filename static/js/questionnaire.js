// Autosave for the questionnaire: every answer is saved on its own as it changes.
//
// Each save names the version of the answer it was based on; the server answers 409 with
// the current value when another tab saved in between, so nothing is silently overwritten.
// Unsaved answers are kept in localStorage until the server acknowledges them, so a lost
// connection, a restart or an expired session loses nothing: they are retried.
(() => {
  "use strict";
  // A link to one question (from the list of those still needing an answer) lands on it,
  // below the sticky progress bar, with the keyboard focus on its first answer.
  // After "load": the browser's own jump to the fragment would otherwise reset the focus.
  const land = () => {
    const target = location.hash.startsWith("#item-") && document.getElementById(location.hash.slice(1));
    if (!target || target.hidden) return;
    const field = target.querySelector("input:not([type=hidden]), textarea");
    target.scrollIntoView({ block: "start" });
    if (field) field.focus({ preventScroll: true });
  };
  if (document.readyState === "complete") setTimeout(land, 0);
  else window.addEventListener("load", () => setTimeout(land, 0));
  window.addEventListener("hashchange", land);
})();

(() => {
  "use strict";
  const form = document.querySelector("form.rc-questionnaire");
  if (!form || !form.dataset.autosaveUrl) return;
  const url = form.dataset.autosaveUrl;
  const storeKey = `recouple:pending:${form.dataset.response}`;
  const pending = new Map(Object.entries(JSON.parse(localStorage.getItem(storeKey) || "{}")));
  const inFlight = new Set();
  let retryTimer = null;
  let retryDelay = 2000;

  const fieldset = (key) => document.getElementById(`item-${key}`);
  const persist = () => localStorage.setItem(storeKey, JSON.stringify(Object.fromEntries(pending)));

  function csrfToken() {
    // Read the cookie each time: signing in again rotates the token.
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : form.querySelector("[name=csrfmiddlewaretoken]").value;
  }

  function setStatus(key, state, text) {
    const el = document.getElementById(`status-${key}`);
    if (!el) return;
    el.className = `rc-save-status small mt-2 is-${state}`;
    el.textContent = text;
  }

  function readValue(fs) {
    const key = fs.dataset.item;
    const values = [...fs.querySelectorAll(`[name="item__${key}"]`)]
      .filter((el) => el.tagName === "TEXTAREA" || el.checked)
      .map((el) => el.value);
    const evidence = fs.querySelector(`[name="evidence__${key}"]`);
    const quote = fs.querySelector(`input[type=checkbox][name="may_quote__${key}"]`);
    return { values, evidence: evidence ? evidence.value : null, mayQuote: quote ? quote.checked : null };
  }

  function applyValue(fs, value, evidence, mayQuote) {
    const key = fs.dataset.item;
    const chosen = new Set(Array.isArray(value) ? value : value == null ? [] : [value]);
    fs.querySelectorAll(`[name="item__${key}"]`).forEach((el) => {
      if (el.tagName === "TEXTAREA") el.value = value || "";
      else el.checked = chosen.has(el.value);
    });
    const ev = fs.querySelector(`[name="evidence__${key}"]`);
    if (ev) ev.value = evidence || "";
    const quote = fs.querySelector(`input[type=checkbox][name="may_quote__${key}"]`);
    if (quote && mayQuote != null) quote.checked = Boolean(mayQuote);
    updateCounter(fs);
  }

  function setVersion(fs, version) {
    fs.dataset.version = String(version);
    const hidden = fs.querySelector(`[name="version__${fs.dataset.item}"]`);
    if (hidden) hidden.value = String(version);
  }

  function updateProgress(progress) {
    const bar = document.querySelector("[data-progress-bar]");
    const text = document.querySelector("[data-progress-text]");
    if (bar) bar.value = progress.percent;
    if (text) text.textContent = `${progress.answered} of ${progress.total} answered`;
  }

  function updateVisibility(hidden) {
    const hide = new Set(hidden);
    document.querySelectorAll("fieldset[data-item]").forEach((fs) => {
      fs.hidden = hide.has(fs.dataset.item);
    });
  }

  function updateCounter(fs) {
    const area = fs.querySelector("textarea[data-counter]");
    if (!area) return;
    const out = document.querySelector(`#${area.dataset.counter} [data-count]`);
    if (out) out.textContent = area.value.length;
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      retryDelay = Math.min(retryDelay * 2, 30000);
      [...pending.keys()].forEach(send);
    }, retryDelay);
  }

  async function send(key) {
    if (inFlight.has(key) || !pending.has(key)) return;
    const entry = pending.get(key);
    const fs = fieldset(key);
    const body = new URLSearchParams();
    body.append("item", key);
    body.append("base_version", fs ? fs.dataset.version : entry.base);
    entry.values.forEach((v) => body.append("value", v));
    if (entry.evidence !== null) body.append("evidence", entry.evidence);
    if (entry.mayQuote != null) body.append("may_quote", entry.mayQuote ? "1" : "0");
    inFlight.add(key);
    setStatus(key, "saving", "Saving…");
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
    } catch (error) {
      inFlight.delete(key);
      setStatus(key, "failed", "Not saved: no connection. Your answer is kept here and will be retried.");
      scheduleRetry();
      return;
    }
    inFlight.delete(key);
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    const current = pending.get(key);
    const changedMeanwhile = current !== entry;
    if (response.ok) {
      if (fs) setVersion(fs, data.version);
      if (!changedMeanwhile) pending.delete(key);
      persist();
      retryDelay = 2000;
      setStatus(key, "saved", data.status === "cleared" ? "Answer cleared." : "Saved.");
      if (data.hidden) updateVisibility(data.hidden);
      if (data.progress) updateProgress(data.progress);
      if (changedMeanwhile) send(key);
      return;
    }
    if (response.status === 409 && data.status === "conflict") {
      pending.delete(key);
      persist();
      const same = JSON.stringify(data.value == null ? [] : [].concat(data.value)) === JSON.stringify(entry.values);
      if (same) {
        // Already saved with this value (e.g. by a page post before a reload): nothing lost.
        if (fs) setVersion(fs, data.version);
        setStatus(key, "saved", "Saved.");
        return;
      }
      if (fs) {
        setVersion(fs, data.version);
        applyValue(fs, data.value, data.evidence, data.may_quote);
      }
      setStatus(key, "conflict", data.message || "Changed elsewhere; the current answer is shown.");
      return;
    }
    if (response.status === 401 || response.status === 403) {
      const login = data.login_url || "/accounts/login/";
      setStatus(key, "failed", "");
      const el = document.getElementById(`status-${key}`);
      el.append("You were signed out. Your answer is kept on this device. ");
      const link = document.createElement("a");
      link.href = `${login}?next=${encodeURIComponent(location.pathname)}`;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "Sign in again (opens a new tab)";
      el.append(link, "; saving resumes by itself.");
      scheduleRetry();
      return;
    }
    if (response.status === 400 || response.status === 409) {
      pending.delete(key);
      persist();
      setStatus(key, "failed", data.message || "This answer could not be saved.");
      return;
    }
    setStatus(key, "failed", "Not saved yet: the server is unavailable. Retrying…");
    scheduleRetry();
  }

  function queue(fs) {
    const key = fs.dataset.item;
    const { values, evidence, mayQuote } = readValue(fs);
    pending.set(key, { values, evidence, mayQuote, base: fs.dataset.version });
    persist();
    send(key);
  }

  const textTimers = new Map();
  form.addEventListener("input", (event) => {
    const fs = event.target.closest("fieldset[data-item]");
    if (!fs) return;
    updateCounter(fs);
    if (event.target.type === "radio" || event.target.type === "checkbox") return;
    clearTimeout(textTimers.get(fs.dataset.item));
    textTimers.set(fs.dataset.item, setTimeout(() => queue(fs), 800));
  });
  form.addEventListener("change", (event) => {
    const fs = event.target.closest("fieldset[data-item]");
    if (!fs) return;
    clearTimeout(textTimers.get(fs.dataset.item));
    queue(fs);
  });

  // Answers typed before a reload, sign-out or outage: put them back and save them.
  pending.forEach((entry, key) => {
    const fs = fieldset(key);
    if (!fs) return;
    applyValue(fs, fs.dataset.widget === "checkbox" ? entry.values : entry.values[0], entry.evidence, entry.mayQuote);
    send(key);
  });
  window.addEventListener("online", () => [...pending.keys()].forEach(send));
  // The page's own form posts every answer, so only warn when leaving by other means.
  let submitting = false;
  form.addEventListener("submit", () => {
    submitting = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (pending.size && !submitting) event.preventDefault();
  });
})();
