/* "Copy Monday to Tuesday–Friday" on the weekly hours page, done in the page:
   Monday's times as they stand fill Tuesday to Friday, and the live region
   says so; nothing is saved until the advisor saves. Without this script
   the button asks the server, which shows the same copy back (also unsaved).
   A day with fewer rows than Monday (more than four intervals, set through
   the API) is left to the server, which adds the rows. */
(function () {
  "use strict";
  var form = document.querySelector("form.hours-form");
  var button = form && form.querySelector("button[name=copy_monday]");
  var status = document.getElementById("copy-monday-status");
  if (!button || !status) {
    return;
  }
  function rows(day) {
    return form.querySelectorAll("input[name^='day" + day + "_start_']").length;
  }
  button.addEventListener("click", function (event) {
    for (var day = 1; day <= 4; day++) {
      if (rows(day) < rows(0)) {
        return;
      }
    }
    event.preventDefault();
    for (day = 1; day <= 4; day++) {
      form.querySelectorAll("input[name^='day" + day + "_']").forEach(function (input) {
        var source = form.elements.namedItem(input.name.replace(/^day\d/, "day0"));
        input.value = source ? source.value : "";
        var fold = input.closest("details");
        if (input.value && fold) {
          fold.open = true;
        }
      });
    }
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = button.dataset.copied;
    }, 50);
  });
})();
