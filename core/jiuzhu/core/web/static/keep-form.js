// Keep a form's input across a session timeout (issue 18, point 11).
// Before a form is posted its fields are saved in sessionStorage (this tab only; never a
// password, a file or the CSRF token). If the post is answered with the sign-in page
// because the session had ended, signing in returns to the form's page and the saved input
// is put back, with a notice. Any other page load forgets it.
(function () {
  "use strict";
  var KEY = "jiuzhu-pending-form";
  var RELOGIN = "jiuzhu-relogin";
  var SKIP = { password: 1, file: 1, submit: 1, button: 1, hidden: 1 };

  function here() { return location.pathname + location.search; }

  function save(form) {
    if (form.dataset.keep === "no") return;
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.type] || el.name === "_csrf_token") return;
      if (el.type === "checkbox" || el.type === "radio") {
        fields.push({ name: el.name, value: el.value, checked: el.checked });
      } else if (el.tagName === "SELECT" && el.multiple) {
        fields.push({ name: el.name, values: Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; }) });
      } else {
        fields.push({ name: el.name, value: el.value });
      }
    });
    // the page to come back to if the session has ended (the site sends no Referer)
    document.cookie = "jiuzhu_from=" + encodeURIComponent(here()) + "; path=/; max-age=600; samesite=lax";
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ page: here(), action: form.getAttribute("action") || "", fields: fields }));
    } catch (e) { /* storage full or disabled: nothing kept */ }
  }

  function restore(saved) {
    var form = null;
    Array.prototype.forEach.call(document.forms, function (f) {
      if (!form && (f.getAttribute("action") || "") === saved.action) form = f;
    });
    if (!form) return false;
    saved.fields.forEach(function (s) {
      var els = form.querySelectorAll('[name="' + s.name.replace(/"/g, '\\"') + '"]');
      Array.prototype.forEach.call(els, function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === s.value) el.checked = s.checked;
        } else if (s.values) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = s.values.indexOf(o.value) >= 0; });
        } else if (!SKIP[el.type]) {
          el.value = s.value;
        }
      });
    });
    if (form.tagName === "FORM" && form.parentNode && form.closest("details")) form.closest("details").open = true;
    var note = document.createElement("div");
    note.className = "notice";
    note.id = "restored";
    note.setAttribute("role", "status");
    note.textContent = "已恢复您登录前填写的内容，请核对后重新提交。";
    form.parentNode.insertBefore(note, form);
    return true;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && (form.method || "").toLowerCase() === "post") save(form);
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var relogin = document.querySelector("form[data-relogin]");
    if (relogin) {  // the sign-in page after a timeout: keep what was saved for the way back
      sessionStorage.setItem(RELOGIN, "1");
      return;
    }
    if (location.pathname === "/login") return;
    var raw = sessionStorage.getItem(KEY);
    var back = sessionStorage.getItem(RELOGIN);
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(RELOGIN);
    if (!raw || !back) return;
    try {
      var saved = JSON.parse(raw);
      if (saved.page === here()) restore(saved);
    } catch (e) { /* unreadable: nothing restored */ }
  });
})();
