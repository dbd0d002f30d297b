// pageview.js: first-party analytics pixel.
(function () {
  var visitor = localStorage.getItem("vid") || Math.random().toString(36).slice(2);
  localStorage.setItem("vid", visitor);
  var px = new Image(1, 1);
  px.src = "/stats/p.gif?v=" + visitor + "&u=" + encodeURIComponent(location.href) +
    "&r=" + encodeURIComponent(document.referrer);
  px.alt = "";
})();
