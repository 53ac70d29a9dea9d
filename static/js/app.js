// Small behaviours that CSP-safe markup cannot express: no inline handlers anywhere.
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-confirm]");
  if (trigger && !window.confirm(trigger.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("click", (event) => {
  const print = event.target.closest("[data-print]");
  if (print) {
    event.preventDefault();
    window.print();
  }
});

// The main menu: a <details> that works without script; this adds Escape, a click outside,
// and, where CSS cannot show a closed menu's content on a wide screen, keeps it open there.
const navMenu = document.querySelector("[data-nav-menu]");
if (navMenu) {
  const wide = window.matchMedia("(min-width: 72rem)");
  const cssPins = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  const pin = () => {
    if (cssPins) return;
    navMenu.classList.toggle("nav-pinned", wide.matches);
    navMenu.open = wide.matches;
  };
  pin();
  wide.addEventListener("change", pin);
  const collapsible = () => !wide.matches && navMenu.open;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && collapsible() && navMenu.contains(document.activeElement)) {
      navMenu.open = false;
      navMenu.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (collapsible() && !navMenu.contains(event.target)) navMenu.open = false;
  });
}

// "/" goes to the search box from anywhere but a field being typed in.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])")) return;
  const box = document.getElementById("site-search");
  if (!box) return;
  event.preventDefault();
  const menu = box.closest("details");
  // On a phone the box is in the closed menu (its button shows): open it first.
  const button = menu && menu.querySelector("summary");
  if (button && !menu.open && getComputedStyle(button).display !== "none") menu.open = true;
  box.focus();
  box.select();
});

// A table that scrolls inside its box must be reachable from the keyboard to scroll it.
const focusScrollers = () => {
  for (const box of document.querySelectorAll(".table-wrap")) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
    if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
  }
};
focusScrollers();
window.addEventListener("resize", focusScrollers);
// A table in a closed <details> measures nothing until it opens ("toggle" does not bubble).
document.addEventListener("toggle", focusScrollers, true);
document.addEventListener("htmx:afterSettle", focusScrollers);

// A form that came back with errors: start the reader at its summary, and let each of its links
// put the cursor in the field it names (a link to an input only scrolls to it).
const focusErrorSummary = (root) => {
  const summary = root.querySelector && root.querySelector("[data-error-summary]");
  if (summary) summary.focus();
};
focusErrorSummary(document);
document.addEventListener("htmx:afterSettle", (event) => focusErrorSummary(event.target));
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  const field = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  field.scrollIntoView({ block: "center" });
  field.focus();
});
