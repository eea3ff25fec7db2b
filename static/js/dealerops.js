// DealerOps: site-wide behaviour (no inline scripts: the CSP allows only our own files).
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  var text = "请求失败（" + event.detail.xhr.status + "），请稍后再试。";
  if (box) { box.textContent = text; box.classList.remove("d-none"); } else { window.alert(text); }
});

// A button with data-copy="#field-id" copies that field's value and says so
// (data-copied: the label shown for a moment; the field is selected where the
// clipboard is not available, e.g. plain http outside localhost).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) { return; }
  var field = document.querySelector(button.getAttribute("data-copy"));
  if (!field) { return; }
  var label = button.textContent;
  var done = function () {
    button.textContent = button.getAttribute("data-copied") || label;
    button.setAttribute("data-copied-value", field.value);
    window.setTimeout(function () { button.textContent = label; }, 2000);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// A checkbox with data-check-all="<selector>" ticks or clears every box it names
// (the CSP refuses inline onclick handlers).
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-check-all]");
  if (!all) { return; }
  document.querySelectorAll(all.getAttribute("data-check-all")).forEach(function (box) { box.checked = all.checked; });
});
