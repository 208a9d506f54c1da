// Site search: Pagefind's UI over the index digest builds (the page works without it: see <noscript>).
window.addEventListener("DOMContentLoaded", function () {
  if (!window.PagefindUI) return;
  var box = document.getElementById("search");
  new PagefindUI({ element: box, showSubResults: true, showImages: false, resetStyles: false });
  var input = box.querySelector("input");
  var q = new URLSearchParams(location.search).get("q");
  if (input && q) {
    input.value = q;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
});
