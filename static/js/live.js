// Live pages (templates/partials/live.html, the notification badge): their htmx polls ask
// only while the tab is in view, and ask at once when it comes back into view.
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (document.visibilityState !== "visible" && elt.closest && elt.closest("[data-live]")) {
    event.preventDefault();
  }
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible" || !window.htmx) return;
  for (const poll of document.querySelectorAll("[data-live][hx-get]")) {
    window.htmx.ajax("get", poll.getAttribute("hx-get"), { source: poll });
  }
});
