/* After a refused form, start where the problem is: focus the first field marked aria-invalid, or else the
   first error notice, so that a keyboard user and a screen reader do not begin again at the top of the page.
   Loaded with defer from web/base.html; nothing on the page depends on it. */
(function () {
  "use strict";
  var target = document.querySelector("main [aria-invalid='true']") ||
               document.querySelector("main [role='alert']");
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
  if (target.scrollIntoView) target.scrollIntoView({block: "center"});
})();
