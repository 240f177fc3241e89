// The print-out says when it was printed (the page itself may come from a cache, so the date
// cannot be written on the server). Without JavaScript the print-out carries the site and address.
(function () {
  var slot = document.querySelector(".print-date");
  if (!slot) return;
  window.addEventListener("beforeprint", function () {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    slot.textContent = "　打印日期：" + now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  });
})();
