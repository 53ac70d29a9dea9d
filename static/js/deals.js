// Deals pages: move focus to a commitment row added without a reload.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "commitment-rows") return;
  const rows = event.detail.target.querySelectorAll(".commitment-row");
  const last = rows[rows.length - 1];
  const first = last && last.querySelector("select, input:not([type=hidden]), textarea");
  if (first) first.focus();
});
