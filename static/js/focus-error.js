/* After a refused form, start where the problem is.

   1. A field's message (filters.field_errors: <span class="field-error" id="error-NAME">) marks its control
      aria-invalid and describes it, where the template did not already (macro m.field does it on the server):
      the control is the one its <label> holds, else the form's control named NAME.
   2. Focus goes to the first control marked aria-invalid, else to the first alert (the form's refusal), so
      that a keyboard user and a screen reader do not begin again at the top of the page.

   Loaded with defer from web/base.html; without it the messages are still beside their fields. */
(function () {
  "use strict";
  var messages = document.querySelectorAll("main .field-error[id^='error-']");
  for (var i = 0; i < messages.length; i++) {
    var message = messages[i], label = message.closest("label"), form = message.closest("form");
    var control = (label && label.control) ||
                  (form && form.querySelector("[name='" + message.id.slice(6).replace(/'/g, "") + "']"));
    if (!control || control.type === "hidden") continue;
    control.setAttribute("aria-invalid", "true");
    var described = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(message.id) < 0) control.setAttribute("aria-describedby", described.concat(message.id).join(" "));
  }

  var target = document.querySelector("main [aria-invalid='true']") || document.querySelector("main [role='alert']");
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) target.setAttribute("tabindex", "-1");
  target.focus();
  if (target.scrollIntoView) target.scrollIntoView({block: "center"});
})();
