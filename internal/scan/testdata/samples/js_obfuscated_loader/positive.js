// Synthetic loader sample for skimwatch tests: the payload is a harmless
// console.log, encoded the way skimmer loaders encode theirs.
var _0x3a1f = ["Y29uc29sZS5sb2coInNraW13YXRjaCB0ZXN0IHNhbXBsZSIp"];
(function (p) {
  if (/checkout|onepage/.test(window.location.pathname)) {
    eval(atob(p[0]));
  }
})(_0x3a1f);
