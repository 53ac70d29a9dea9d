// Deals pages: what markup alone cannot do. Every behaviour here has a fallback without script.

// The deal form: focus a commitment row added without a reload.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "commitment-rows") return;
  const rows = event.detail.target.querySelectorAll(".commitment-row");
  const last = rows[rows.length - 1];
  const first = last && last.querySelector("select, input:not([type=hidden]), textarea");
  if (first) first.focus();
});

// Enter in "Find a client" searches now instead of saving the deal.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !event.target.matches("[data-client-search]")) return;
  event.preventDefault();
  if (window.htmx) window.htmx.trigger(event.target, "search");
});

// Confirmations: the button opens its dialog; without script it opens the confirmation page.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-confirm-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.confirmDialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      if (!dialog.open) dialog.showModal();
    }
    return;
  }
  const closer = event.target.closest("[data-dialog-close]");
  if (closer) closer.closest("dialog").close();
});

// A form posted the plain way is sent once: a second click while the page loads does nothing.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.method.toLowerCase() !== "post" || form.matches("[hx-post]")) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  form.setAttribute("aria-busy", "true");
  // After this turn, so the button pressed is still sent with the form.
  setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }));
});
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-sending]").forEach((form) => {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; });
  });
});

// Tabs: the panels under the commitments become a tablist (arrow keys, Home, End).
function setUpTabs(container) {
  const panels = Array.from(container.querySelectorAll(":scope > .tab-panel"));
  if (panels.length < 2) return;
  const list = document.createElement("div");
  list.className = "tab-list";
  list.setAttribute("role", "tablist");
  list.setAttribute("aria-label", container.dataset.tabsLabel || "Sections");
  const tabs = panels.map((panel) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.id = `tab-${panel.id}`;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", panel.id);
    tab.textContent = panel.dataset.tabLabel;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    panel.tabIndex = 0;
    list.appendChild(tab);
    return tab;
  });
  const select = (index, focus) => {
    tabs.forEach((tab, i) => {
      const on = i === index;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      panels[i].hidden = !on;
    });
    if (focus) tabs[index].focus();
  };
  list.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) select(tabs.indexOf(tab), false);
  });
  list.addEventListener("keydown", (event) => {
    const current = tabs.indexOf(document.activeElement);
    if (current < 0) return;
    const last = tabs.length - 1;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select((next + tabs.length) % tabs.length, true);
  });
  container.insertBefore(list, panels[0]);
  container.classList.add("tabs-ready");
  // The tab holding what the address points at, or a form's errors, opens first.
  const wanted = (location.hash && document.getElementById(location.hash.slice(1))) || null;
  const hasErrors = (panel) => panel.querySelector(".form-errors, .field-error");
  let index = panels.findIndex((panel) => wanted && panel.contains(wanted));
  if (index < 0) index = panels.findIndex(hasErrors);
  select(Math.max(index, 0), false);
  window.addEventListener("hashchange", () => {
    const target = location.hash && document.getElementById(location.hash.slice(1));
    const holder = target && panels.findIndex((panel) => panel.contains(target));
    if (holder >= 0) select(holder, false);
  });
}
document.querySelectorAll("[data-tabs]").forEach(setUpTabs);

// Keyboard review: j/k move between commitments, a approves, c and f open the condition and
// flag forms, ? lists the keys. Never while typing in a field or with a dialog open.
const commitmentRows = () => Array.from(document.querySelectorAll("[data-commitment]"));
const typing = (target) =>
  target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])");

function currentRow() {
  const active = document.activeElement;
  return (active && active.closest && active.closest("[data-commitment]")) || document.querySelector("[data-commitment].is-current");
}

function goTo(row) {
  commitmentRows().forEach((r) => r.classList.toggle("is-current", r === row));
  row.focus();
  row.scrollIntoView({ block: "nearest" });
}

function openRuling(row, name) {
  const disclosure = row.querySelector(`[data-rule-form="${name}"]`);
  if (!disclosure) return;
  const outer = disclosure.closest("[data-change-ruling]");
  if (outer) outer.open = true;
  disclosure.open = true;
  const field = disclosure.querySelector("textarea, input:not([type=hidden])");
  if (field) field.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (typing(event.target) || document.querySelector("dialog[open]")) return;
  const rows = commitmentRows();
  if (!rows.length) return;
  const row = currentRow();
  const index = rows.indexOf(row);
  const key = event.key;
  if (key === "j" || key === "k") {
    const next = key === "j" ? Math.min(index + 1, rows.length - 1) : Math.max(index - 1, 0);
    goTo(rows[index < 0 ? 0 : next]);
  } else if (key === "a" && row) {
    const approve = row.querySelector("[data-rule=approve]");
    if (!approve || approve.getClientRects().length === 0) return;
    approve.click();
  } else if ((key === "c" || key === "f") && row) {
    openRuling(row, key === "c" ? "condition" : "flag");
  } else if (key === "?") {
    const help = document.getElementById("keyboard-help");
    if (help && typeof help.showModal === "function") help.showModal();
  } else {
    return;
  }
  event.preventDefault();
});

// The shortcuts button and the keys need script, so they show only with it.
document.querySelectorAll("[data-shortcuts-open]").forEach((button) => {
  button.hidden = false;
});
document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-shortcuts-open]")) return;
  const help = document.getElementById("keyboard-help");
  if (help && typeof help.showModal === "function") help.showModal();
});

// After a ruling the commitments are drawn again: focus stays on the commitment just ruled,
// or on the field whose error needs fixing.
let ruledRow = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const row = event.detail.elt.closest && event.detail.elt.closest("[data-commitment]");
  if (!row) return;
  ruledRow = row.id;
  const list = document.getElementById("commitments");
  if (list) list.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:load", (event) => {
  const list = event.detail.elt;
  if (!ruledRow || !list || list.id !== "commitments") return;
  const row = document.getElementById(ruledRow);
  ruledRow = null;
  if (!row) return;
  const invalid = row.querySelector("[aria-invalid=true]");
  if (invalid) {
    invalid.focus();
  } else {
    goTo(row);
  }
});
document.addEventListener("htmx:afterRequest", () => {
  const list = document.getElementById("commitments");
  if (list) list.removeAttribute("aria-busy");
});
// The commitments drawn again bring the shortcuts button back hidden: show it.
document.addEventListener("htmx:load", (event) => {
  const elt = event.detail.elt;
  if (!elt || !elt.querySelectorAll) return;
  elt.querySelectorAll("[data-shortcuts-open][hidden]").forEach((button) => {
    button.hidden = false;
  });
});

// What history says: "Use <date>" puts the suggested date in the promise's field; without
// script the button posts the form, which comes back with the date set.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-take-date]");
  if (!button) return;
  const input = document.getElementById(button.dataset.dateInput);
  if (!input) return;
  event.preventDefault();
  const planned = document.getElementById(button.dataset.plannedInput);
  if (planned) planned.value = button.dataset.planned;
  input.value = button.dataset.takeDate;
  input.dispatchEvent(new Event("change", { bubbles: true }));
  input.focus();
});
