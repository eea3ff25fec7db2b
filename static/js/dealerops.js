// DealerOps: site-wide behaviour (no inline scripts: the CSP allows only our own files).
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  var text = "请求失败（" + event.detail.xhr.status + "），请稍后再试。";
  if (box) { box.textContent = text; box.classList.remove("d-none"); } else { window.alert(text); }
});
