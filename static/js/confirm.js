// Confirmations (templates/partials/confirm_dialog.html): the button that would open the
// confirmation page opens the same question in a dialog instead; Cancel, Escape or a click
// beside the dialog closes it, and the focus goes back to the button. A form marked
// data-send-once (every confirmation's) is sent once: a second click while the page loads does nothing.
(function () {
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-confirm-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.confirmDialog);
      if (!dialog || typeof dialog.showModal !== "function") return;  // the page opens instead
      event.preventDefault();
      if (!dialog.open) dialog.showModal();
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer && closer.closest("dialog")) {
      closer.closest("dialog").close();
      return;
    }
    // A click on the backdrop lands on the dialog itself, outside its article.
    if (event.target.matches && event.target.matches("dialog.confirm-dialog[open]")) {
      event.target.close();
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-send-once]")) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    // After this turn, so the button pressed is still sent with the form.
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }));
  });

  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-send-once][data-sending]").forEach((form) => {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; });
    });
  });
})();
