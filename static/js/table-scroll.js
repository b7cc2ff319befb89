/* A table wider than a phone scrolls sideways inside its own box (app.css). A box that scrolls must be
   reachable by keyboard (WCAG 2.1.1): while it is wider than its box it takes a tab stop, and loses it
   when the window grows. Loaded with defer from web/base.html; without it the tables still scroll. */
(function () {
  "use strict";
  var boxes = document.querySelectorAll("main table.ledger, main .table-scroll");
  function mark() {
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); box.dataset.scrolls = "1"; }
      } else if (box.dataset.scrolls) {
        box.removeAttribute("tabindex"); delete box.dataset.scrolls;
      }
    }
  }
  mark();
  var pending;
  window.addEventListener("resize", function () { clearTimeout(pending); pending = setTimeout(mark, 150); });
})();
