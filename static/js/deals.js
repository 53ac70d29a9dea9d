// Deals pages: move focus to a commitment row added without a reload.
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
