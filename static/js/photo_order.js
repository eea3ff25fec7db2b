// Drag-and-drop ordering of a used car's photos (portal car page).  Native HTML5
// drag and drop, no library: a container with data-photo-order-url holds items with
// data-photo-id (draggable); dragging one moves it and, when the drag ends, posts
// every id, in the new order, as "photos" to that URL (usedcars.portal.views.CarPhotoOrderView).  On a
// refusal the message is shown and the page reloads to the saved order.  Without
// JavaScript the up/down buttons of each photo still work.
(function () {
  "use strict";

  function csrfToken(box) {
    var field = box.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function say(box, text, failed) {
    var status = box.parentNode.querySelector("[data-photo-order-status]");
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("text-danger", !!failed);
    status.classList.toggle("text-success", !failed);
  }

  function save(box) {
    var ids = Array.prototype.map.call(box.querySelectorAll("[data-photo-id]"), function (item) {
      return item.getAttribute("data-photo-id");
    });
    var body = new FormData();
    ids.forEach(function (id) { body.append("photos", id); });
    say(box, box.getAttribute("data-saving") || "…", false);
    fetch(box.getAttribute("data-photo-order-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(box), "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          box.setAttribute("data-saved-order", ids.join(","));
          say(box, box.getAttribute("data-saved") || "OK", false);
        } else {
          say(box, data.detail || box.getAttribute("data-failed") || String(response.status), true);
          window.setTimeout(function () { window.location.reload(); }, 1500);
        }
      });
    }, function () {
      say(box, box.getAttribute("data-failed") || "!", true);
    });
  }

  function setUp(box) {
    var dragged = null;
    box.querySelectorAll("[data-photo-id]").forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.classList.add("photo-draggable");
    });
    box.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("[data-photo-id]");
      if (!dragged) { return; }
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.getAttribute("data-photo-id"));
      dragged.classList.add("opacity-50");
    });
    // The order is saved when the drag ends, wherever it was dropped: the items
    // already moved while dragging over them, so what is shown is what is saved.
    box.addEventListener("dragend", function () {
      if (!dragged) { return; }
      dragged.classList.remove("opacity-50");
      dragged = null;
      var ids = Array.prototype.map.call(box.querySelectorAll("[data-photo-id]"), function (item) {
        return item.getAttribute("data-photo-id");
      }).join(",");
      if (ids !== box.getAttribute("data-saved-order")) { save(box); }
    });
    box.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var over = event.target.closest("[data-photo-id]");
      if (!over || over === dragged) { return; }
      var rect = over.getBoundingClientRect();
      var after = (event.clientX - rect.left) > rect.width / 2;
      box.insertBefore(dragged, after ? over.nextSibling : over);
    });
    box.addEventListener("drop", function (event) {
      if (dragged) { event.preventDefault(); }
    });
  }

  document.querySelectorAll("[data-photo-order-url]").forEach(setUp);
})();
