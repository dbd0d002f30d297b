// Synthetic obfuscated trigger for skimwatch tests: the words in \x escapes.
var _0x1f = ["\x63\x68\x65\x63\x6b\x6f\x75\x74", "\x63\x61\x72\x64\x6e\x75\x6d\x62\x65\x72"];
if (window.location["href"].indexOf(_0x1f[0]) > -1) { console.log("skimwatch test sample"); }
