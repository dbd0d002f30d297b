// Synthetic trigger for skimwatch tests: "checkout" as character codes.
var k = String.fromCharCode(99, 104, 101, 99, 107, 111, 117, 116);
if (location.href.indexOf(k) > -1) { console.log("skimwatch test sample"); }
