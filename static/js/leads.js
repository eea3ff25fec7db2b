// Leads pages: show a block only while a select has a given value
// (data-show-when="<select name>=<value>"), e.g. the defeat reason fields.
(function () {
  function sync(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      var parts = block.getAttribute("data-show-when").split("=");
      var select = form.querySelector('[name="' + parts[0] + '"]');
      block.hidden = !!select && select.value !== parts[1];
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-show-when]")) return;
    sync(form);
    form.addEventListener("change", function () { sync(form); });
  });
})();
