// The running meeting on a shared screen: → or j next item, ← or k previous, d to the decision.
(function () {
  "use strict";
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (!document.querySelector("[data-meeting-run]")) return;
    var link = null;
    if (event.key === "ArrowRight" || event.key === "j") link = document.querySelector("[data-meeting-next]");
    if (event.key === "ArrowLeft" || event.key === "k") link = document.querySelector("[data-meeting-prev]");
    if (link) {
      event.preventDefault();
      link.click();
      return;
    }
    if (event.key === "d") {
      var field = document.querySelector("[data-meeting-decide] textarea");
      if (field) {
        event.preventDefault();
        field.focus();
      }
    }
  });
})();
