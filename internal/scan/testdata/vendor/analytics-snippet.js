(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://tags.example-analytics.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-TEST123');
window.dataLayer.push({ event: "begin_checkout", currency: "JPY", value: 12800, items: [{ item_id: "SKU-1042", quantity: 1 }] });
var px = new Image(); px.src = "https://pixel.example-ads.com/tr?id=987654&ev=PageView&dl=" + encodeURIComponent(location.href);
