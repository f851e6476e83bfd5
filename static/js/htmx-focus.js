/* After htmx swaps in a new page's <main>, move focus to where a person
   should start reading: the error summary if there is one, else the heading.
   Without this, keyboard and screen reader users are left on a button that
   no longer exists. And keep the header's language form on the page shown.
   Loaded after htmx.min.js (both deferred). */
(function () {
  "use strict";
  if (!window.htmx) {
    return;
  }
  // Pages that refuse (400, 404, 409, 410) are pages to show, as without JavaScript.
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "...", swap: true },
  ];
  document.body.addEventListener("htmx:afterSettle", function () {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    var target = main.querySelector("#error-summary") || main.querySelector("h1");
    if (!target) {
      return;
    }
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });
  // htmx swaps only <main> and pushes the new page's address: the header's
  // language form would still send the page before back to it, and its menu
  // would still mark that page as the current one. Follow the address bar
  // instead, after a push, a replace or the back button, as the server does
  // (the link whose path is the page's path is the current page).
  function followAddress() {
    var next = document.querySelector("form.language-switch input[name=next]");
    if (next) {
      next.value = window.location.pathname + window.location.search;
    }
    document.querySelectorAll("header nav a[href]").forEach(function (link) {
      if (link.pathname === window.location.pathname) {
        link.setAttribute("aria-current", "page");
      } else {
        link.removeAttribute("aria-current");
      }
    });
  }
  ["htmx:pushedIntoHistory", "htmx:replacedInHistory", "htmx:historyRestore"].forEach(function (name) {
    document.body.addEventListener(name, followAddress);
  });
})();
