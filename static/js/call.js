// Call screen: keep the live transcript scrolled to the newest line after each htmx poll.
(function () {
  function scrollTranscript() {
    var box = document.getElementById("transcript");
    if (box) { box.scrollTop = box.scrollHeight; }
  }
  document.addEventListener("DOMContentLoaded", scrollTranscript);
  document.addEventListener("htmx:afterSettle", scrollTranscript);
})();
