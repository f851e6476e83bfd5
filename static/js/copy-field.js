/* A copy button for a readonly field: <button data-copy="field id"
   data-copy-status="live region id" data-copied="…" data-not-copied="…" hidden>.
   The button stays hidden where the browser cannot copy (no Clipboard API,
   or not a secure context); the field can always be selected by hand. */
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!field || !status) {
      return;
    }
    button.hidden = false;
    // A click in the field selects the whole address, ready to copy by hand.
    field.addEventListener("focus", function () {
      field.select();
    });
    button.addEventListener("click", function () {
      status.textContent = "";  // so a second copy is announced again
      navigator.clipboard.writeText(field.value).then(
        function () {
          status.textContent = button.dataset.copied;
        },
        function () {
          field.select();
          status.textContent = button.dataset.notCopied;
        }
      );
    });
  });
})();
