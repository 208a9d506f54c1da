// Site search: Pagefind's UI over the index digest builds (the page works without it: see <noscript>).
window.addEventListener("DOMContentLoaded", function () {
  if (!window.PagefindUI) return;
  var box = document.getElementById("search");
  var label = box.getAttribute("data-label") || "Search";
  new PagefindUI({ element: box, showSubResults: true, showImages: false, resetStyles: false,
                   translations: { placeholder: label } });
  var input = box.querySelector("input");
  if (input) input.setAttribute("aria-label", label);  // a name that stays when the placeholder goes
  var q = new URLSearchParams(location.search).get("q");
  if (input && q) {
    input.value = q;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
});
