// digest serve: live reload. Injected into HTML responses by the preview server only.
(function () {
  "use strict";
  // Once per page. A symbol, not a name: an element with id="..." is a property of window by its id,
  // and a page's content could pose as this script having run.
  var ONCE = Symbol.for("digest.livereload");
  if (window[ONCE]) return;
  window[ONCE] = true;
  var OVERLAY = "digest-error-overlay";
  var overlay = null;  // the element this script made (never looked up by id: content may hold one)

  function showErrors(data) {
    var box = overlay;
    if (!box || !box.isConnected) {
      box = overlay = document.createElement("div");
      box.id = OVERLAY;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
        "background:rgba(20,20,24,.94);color:#fff;font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var title = document.createElement("h2");
    title.textContent = "digest: the site did not build";
    title.style.cssText = "margin:0 0 1rem;color:#ff8a80;font:bold 18px system-ui,sans-serif;";
    box.appendChild(title);
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:0;";
    pre.textContent = (data.problems || []).join("\n") || data.message || "unknown error";
    box.appendChild(pre);
    var note = document.createElement("p");
    note.textContent = "Fix the file and save: this page reloads by itself. The last good build is still served.";
    note.style.cssText = "color:#ccc;font-family:system-ui,sans-serif;";
    box.appendChild(note);
  }

  function clearErrors() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  function swapStyles() {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("digest-reload", Date.now().toString());
      var next = link.cloneNode();
      next.href = url.toString();
      next.onload = (function (old) { return function () { old.remove(); }; })(link);
      link.parentNode.insertBefore(next, link.nextSibling);
    }
  }

  // One stream per visible tab: a browser opens at most six connections to a host, and each open
  // stream holds one, so a hidden tab lets go of its stream, and on coming back reloads if the site
  // changed meanwhile.
  var source = null;
  // The server's count of events when this page was served: a stream that starts later (the page
  // was slow to load, or hidden) tells whether the page missed one.
  var script = document.currentScript;
  var version = script && script.dataset.version ? Number(script.dataset.version) : null;

  function connect() {
    source = new EventSource("/__digest__/events");
    source.addEventListener("hello", function (e) {
      var now = null;
      try { now = JSON.parse(e.data).version; } catch (err) { /* ignore */ }
      if (version === null) { version = now; } else if (now !== version) { location.reload(); }
    });
    source.addEventListener("reload", function () { location.reload(); });
    source.addEventListener("css", function () { clearErrors(); swapStyles(); });
    source.addEventListener("error", function (e) {
      if (!e.data) return;  // a dropped connection, not a build error
      try { showErrors(JSON.parse(e.data)); } catch (err) { /* ignore */ }
    });
    source.addEventListener("ok", function () {
      if (overlay && overlay.isConnected) { location.reload(); }
    });
    // Each event says the server's count: this page has seen up to it.
    ["reload", "css", "error", "ok"].forEach(function (name) {
      source.addEventListener(name, function (e) {
        var seen = null;
        try { seen = e.data ? JSON.parse(e.data).version : null; } catch (err) { /* ignore */ }
        if (typeof seen === "number" && (version === null || seen > version)) version = seen;
      });
    });
  }

  function visibility() {
    if (document.hidden) {
      if (source) { source.close(); source = null; }
    } else if (!source) {
      connect();
    }
  }
  if (window.EventSource) {
    connect();
    document.addEventListener("visibilitychange", visibility);
  }
})();
