// Copy buttons: <button data-copy="id-of-element" hidden> is shown when the browser can copy,
// and puts that element's text on the clipboard; the nearest [data-copy-status] says so.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach((button) => { button.hidden = false; });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector("[data-copy-status]");
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(
      () => { if (status) status.textContent = "Copied."; },
      () => { if (status) status.textContent = "Could not copy: select the text and copy it."; },
    );
  });
})();
