// icon-sprite.js: inline the SVG sprite so that <use href="#icon-cart"> works.
fetch("/static/icons/sprite.svg", { credentials: "same-origin" })
  .then(function (r) { return r.text(); })
  .then(function (svg) {
    var holder = document.createElement("div");
    holder.style.display = "none";
    holder.innerHTML = svg;
    document.body.insertBefore(holder, document.body.firstChild);
  });
