// Keyhold's hosted portal page (GET /portal). Served as a file from Keyhold's origin under a
// CSP without inline scripts: the server renders a shell with data attributes, this fills it
// in through the /v2/portal.* routes, authenticated by the portal_session cookie (same origin,
// so the CSRF rule lets the calls through). No framework, no other origin.

const body = document.body;
const scopes = new Set((body.dataset.scopes || "").split(" ").filter(Boolean));
const statusEl = document.getElementById("status");
const list = document.getElementById("keys");
const HIDE_AFTER_MS = 30_000;
const DAY_MS = 86_400_000;
const GRACE = [
  ["0", "at once"],
  ["3600000", "in 1 hour"],
  ["86400000", "in 24 hours"],
  ["604800000", "in 7 days"],
];

if (/^#[0-9a-fA-F]{6}$/.test(body.dataset.accent || "")) document.documentElement.style.setProperty("--accent", body.dataset.accent);

/** POST /v2/portal.<operation>; the answer's data, or an Error whose message is the server's words. */
async function call(operation, input) {
  let res;
  try {
    res = await fetch(`/v2/portal.${operation}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(input),
    });
  } catch {
    throw new Error("Keyhold could not be reached. Check your connection and try again.");
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok) {
    const words = answer && answer.error && (answer.error.detail || answer.error.title);
    const error = new Error(words || `The request failed (HTTP ${res.status}).`);
    error.status = res.status;
    throw error;
  }
  return answer;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const when = (ms) => (ms === undefined ? "never" : new Date(ms).toLocaleString());

function setStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.classList.toggle("error", Boolean(isError));
}

function credits(key) {
  if (!key.credits) return "unlimited";
  const refill = key.credits.refill ? `, refilled ${key.credits.refill.interval} to ${key.credits.refill.amount}` : "";
  return `${key.credits.remaining}${refill}`;
}

/** The last 7 days of verifications as an inline SVG bar chart (valid in the accent colour, others grey). */
async function chart(key, holder) {
  const now = Date.now();
  const end = Math.ceil(now / DAY_MS) * DAY_MS;
  let points;
  try {
    points = (await call("getVerifications", { startTime: end - 7 * DAY_MS, endTime: end, keyId: key.keyId })).data;
  } catch (error) {
    holder.replaceChildren(el("p", { class: "note", text: `Usage is not available: ${error.message}` }));
    return;
  }
  const total = points.reduce((sum, p) => sum + p.total, 0);
  const max = Math.max(1, ...points.map((p) => p.total));
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  const width = 7 * 20;
  svg.setAttribute("viewBox", `0 0 ${width} 44`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${total} verifications in the last 7 days`);
  points.forEach((p, i) => {
    const h = (p.total / max) * 40;
    const v = (p.valid / max) * 40;
    for (const [height, cls] of [[h, "bar-other"], [v, "bar-valid"]]) {
      if (height <= 0) continue;
      const rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", String(i * 20 + 3));
      rect.setAttribute("y", String(42 - height));
      rect.setAttribute("width", "14");
      rect.setAttribute("height", String(height));
      rect.setAttribute("class", cls);
      const title = document.createElementNS(NS, "title");
      title.textContent = `${new Date(p.time).toLocaleDateString()}: ${p.valid} valid of ${p.total}`;
      rect.append(title);
      svg.append(rect);
    }
  });
  const base = document.createElementNS(NS, "line");
  for (const [k, v] of [["x1", "0"], ["y1", "42.5"], ["x2", String(width)], ["y2", "42.5"], ["class", "axis"]]) base.setAttribute(k, v);
  svg.append(base);
  holder.replaceChildren(svg, el("p", { class: "note", text: `${total} verification${total === 1 ? "" : "s"} in the last 7 days` }));
}

/** A secret shown in full until hidden again (after 30 s, or by the button), with a copy button. */
function secretRow(holder, label, plaintext, onHide) {
  const code = el("code", { class: "secret", text: plaintext });
  const copied = el("span", { class: "note", role: "status", "aria-live": "polite" });
  const copy = el("button", {
    type: "button",
    text: "Copy",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(plaintext);
        copied.textContent = "Copied.";
      } catch {
        copied.textContent = "Copying is not allowed here: select the key and copy it by hand.";
      }
    },
  });
  const hide = () => {
    clearTimeout(timer);
    holder.replaceChildren();
    onHide?.();
  };
  const timer = setTimeout(hide, HIDE_AFTER_MS);
  holder.replaceChildren(el("p", { class: "note", text: label }), code, el("div", { class: "actions" }, copy, el("button", { type: "button", text: "Hide", onclick: hide }), copied));
  copy.focus();
}

const POLL_EVERY_MS = 3_000;

/**
 * A reveal, reroll or create the provider's policies held (202): polls portal.getActivity every 3 s,
 * while `waiting` says so in words, until it ran (its answer: given once) or will not run
 * (an Error in words), and at the latest until the session ends. No poll while the tab is hidden.
 */
async function approved(activityId, waiting, words) {
  waiting.textContent = words;
  const until = Number(body.dataset.expires) || Date.now() + 3_600_000;
  const fail = (text, status) => Object.assign(new Error(text), { status, shown: true });
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    if (document.hidden) continue;
    let data;
    try {
      ({ data } = await call("getActivity", { activityId }));
    } catch (error) {
      if (error.status === 401) throw fail("Your portal session ended before the provider approved. Open the portal again from the provider's site.", 401);
      continue; // a lost connection: try again on the next round
    }
    if (data.status === "CONSENSUS_NEEDED" || data.status === "EXECUTING") continue;
    waiting.textContent = "";
    if (data.status === "COMPLETED" && data.result) return data.result;
    if (data.status === "COMPLETED") throw fail("This was approved and already shown once (in another tab or window?): it is not shown again.");
    if (data.status === "REJECTED") throw fail("The provider declined this request: nothing was done.");
    if (data.status === "EXPIRED") throw fail("The provider did not approve this request in time: nothing was done. You can ask again.");
    throw fail(`It was approved but failed: ${data.error ? data.error.message : "no reason given"}.`, data.error && data.error.status);
  }
  throw fail("Your portal session ended before the provider approved. Open the portal again from the provider's site.", 401);
}

function keyCard(key) {
  const title = key.name || key.start;
  const secret = el("div", { class: "secret-holder" });
  const masked = el("code", { class: "masked", text: `${key.start}••••••••••••` });
  const message = el("p", { class: "note", role: "status", "aria-live": "polite" });
  const actions = el("div", { class: "actions" });

  if (scopes.has("keys:reveal")) {
    const reveal = el("button", {
      type: "button",
      text: "Reveal key",
      "aria-label": `Reveal key ${title}`,
      onclick: async () => {
        reveal.disabled = true;
        message.textContent = "";
        try {
          const answer = (await call("revealKey", { keyId: key.keyId })).data;
          const data = answer.status === "CONSENSUS_NEEDED"
            ? await approved(answer.activityId, message, "The provider must approve showing this key. Keep this page open: the key appears here once they do.")
            : answer;
          masked.hidden = true;
          secretRow(secret, "Your key (hidden again after 30 seconds):", data.plaintext, () => {
            masked.hidden = false;
            reveal.disabled = false;
            reveal.focus();
          });
        } catch (error) {
          reveal.disabled = false;
          message.textContent =
            error.status === 412 ? "This key cannot be shown again: it was not stored recoverably. Reroll it to get a new one."
            : error.shown ? error.message
            : `The key could not be revealed: ${error.message}`;
        }
      },
    });
    actions.append(reveal);
  }

  if (scopes.has("keys:reroll")) {
    const graceId = `grace-${key.keyId}`;
    const grace = el("select", { id: graceId }, ...GRACE.map(([value, label]) => el("option", { value, text: label })));
    grace.value = "86400000";
    const reroll = el("button", {
      type: "button",
      text: "Reroll key",
      "aria-label": `Reroll key ${title}`,
      onclick: async () => {
        if (!confirm(`Reroll ${title}? A new key replaces it; the old one stops working ${grace.selectedOptions[0].textContent}.`)) return;
        reroll.disabled = true;
        message.textContent = "";
        try {
          const answer = (await call("rerollKey", { keyId: key.keyId, expiration: Number(grace.value) })).data;
          const data = answer.status === "CONSENSUS_NEEDED"
            ? await approved(answer.activityId, message, "The provider must approve this reroll. Keep this page open: the new key appears here once they do.")
            : answer;
          secretRow(secret, `Your new key (shown now; the old one stops working ${grace.selectedOptions[0].textContent}):`, data.key, () => load());
        } catch (error) {
          reroll.disabled = false;
          message.textContent = error.shown ? error.message : `The key could not be rerolled: ${error.message}`;
        }
      },
    });
    actions.append(el("span", { class: "grace" }, el("label", { for: graceId, text: "Old key stops working" }), grace), reroll);
  }

  const usage = el("div", { class: "usage" });
  const card = el(
    "li",
    { class: "key" },
    el("h2", { text: title }),
    masked,
    el(
      "dl",
      {},
      ...[
        ["Start", key.start],
        ["Created", when(key.createdAt)],
        ["Last used", key.lastUsedAt === undefined ? "not yet" : when(key.lastUsedAt)],
        ["Expires", when(key.expires)],
        ["Credits", credits(key)],
        ...(key.enabled ? [] : [["Status", "disabled"]]),
      ].flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]),
    ),
    usage,
    actions,
    secret,
    message,
  );
  if (scopes.has("analytics:read")) void chart(key, usage);
  return card;
}

async function load() {
  if (!scopes.has("keys:read")) {
    setStatus("This portal session may not list keys.", true);
    return;
  }
  setStatus("Loading your keys…");
  try {
    const keys = [];
    let cursor;
    do {
      const page = await call("listKeys", cursor ? { cursor } : {});
      keys.push(...page.data);
      cursor = page.pagination && page.pagination.hasMore ? page.pagination.cursor : undefined;
    } while (cursor && keys.length < 1000);
    list.replaceChildren(...keys.map(keyCard));
    setStatus(keys.length === 0 ? "You have no keys here yet." : `${keys.length} key${keys.length === 1 ? "" : "s"}.`);
  } catch (error) {
    setStatus(error.status === 401 ? "Your portal session has ended. Open the portal again from the provider's site." : `Your keys could not be loaded: ${error.message}`, true);
  }
}

/**
 * "Create key" (keys:create): one button per API of the portal (named by the API when there are
 * several), an optional name; the new key is shown once with Copy, then the list is read again.
 */
function createControls() {
  const holder = document.getElementById("create");
  const apis = JSON.parse(body.dataset.apis || "[]");
  if (!holder || !scopes.has("keys:create") || apis.length === 0) return;
  const secret = el("div", { class: "secret-holder" });
  const message = el("p", { class: "note", role: "status", "aria-live": "polite" });
  const name = el("input", { id: "new-key-name", type: "text", maxlength: "255", autocomplete: "off", placeholder: "e.g. laptop" });
  const buttons = apis.map((api) =>
    el("button", {
      type: "button",
      text: apis.length > 1 ? `Create key in ${api.name}` : "Create key",
      onclick: async () => {
        for (const b of buttons) b.disabled = true;
        message.textContent = "";
        try {
          const wanted = name.value.trim();
          const answer = (await call("createKey", { apiId: api.id, ...(wanted && { name: wanted }) })).data;
          const data = answer.status === "CONSENSUS_NEEDED"
            ? await approved(answer.activityId, message, "The provider must approve this new key. Keep this page open: it appears here once they do.")
            : answer;
          name.value = "";
          secretRow(secret, "Your new key, shown once: copy it now (hidden after 30 seconds).", data.key);
          void load();
        } catch (error) {
          message.textContent = `The key could not be created: ${error.message}`;
        } finally {
          for (const b of buttons) b.disabled = false;
        }
      },
    }),
  );
  holder.replaceChildren(
    el("h2", { text: "New key" }),
    el("div", { class: "actions" }, el("label", { for: "new-key-name", text: "Name (optional)" }), name, ...buttons),
    secret,
    message,
  );
}

createControls();
void load();
