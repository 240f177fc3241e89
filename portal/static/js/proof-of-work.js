// Optional proof of work for the report form (portal/reports/proof_of_work.py explains why).
// Without JavaScript the form is sent as it is and the normal rate limit applies.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pow-bits]");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder) { return; }
  var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
  var challenge = form.querySelector("input[name=pow_challenge]");
  var nonceField = form.querySelector("input[name=pow_nonce]");
  var status = document.getElementById("pow-status");
  var encoder = new TextEncoder();
  var solving = false;

  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      for (var b = 7; b >= 0 && !(bytes[i] & (1 << b)); b--) { count++; }
      return count;
    }
    return count;
  }

  async function solve() {
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.value + ":" + nonce));
      if (zeroBits(new Uint8Array(digest)) >= bits) { return String(nonce); }
    }
  }

  form.addEventListener("submit", function (event) {
    if (nonceField.value || solving) { return; }
    event.preventDefault();
    solving = true;
    if (status) { status.textContent = "正在进行防刷验证，请稍候……"; }
    solve().then(function (nonce) {
      nonceField.value = nonce;
      form.submit();
    }, function () { form.submit(); });
  });
})();
