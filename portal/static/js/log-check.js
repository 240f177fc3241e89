// The check on /log/: is this file (or this SHA-256) in the signed publication log?
//
// Everything is computed here, in the reader's browser: the file's SHA-256 (Web Crypto), the
// checkpoint's Ed25519 signature against the verifier key printed on the page (the browser's
// own Ed25519), and the RFC 6962 inclusion proof from the entry to the signed root. The portal
// only hands over the checkpoint, the entry and the proof; a portal that lied about any of them
// would fail one of these checks. Without JavaScript the form stays hidden and the command-line
// verifier (verify_publication.py) does the same.
(function () {
  "use strict";
  var form = document.getElementById("log-check");
  if (!form || !window.crypto || !window.crypto.subtle || !window.fetch || !window.TextEncoder) {
    return;
  }
  form.hidden = false;
  var result = document.getElementById("log-check-result");
  var encoder = new TextEncoder();

  function fail(message) {
    var error = new Error(message);
    error.shown = true;
    throw error;
  }

  function say(text, ok) {
    result.textContent = text;
    result.className = ok ? "notice-ok" : "notice-error";
  }

  function fromBase64(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function fromHex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(text.substr(i * 2, 2), 16); }
    return bytes;
  }

  function concat() {
    var total = 0, offset = 0, i;
    for (i = 0; i < arguments.length; i++) { total += arguments[i].length; }
    var out = new Uint8Array(total);
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], offset); offset += arguments[i].length; }
    return out;
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (digest) { return new Uint8Array(digest); });
  }

  function equal(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }

  // C2SP signed-note: the checkpoint's body and its signature by the key on the page.
  function verifyCheckpoint(note, verifier) {
    // name+keyid+base64: the base64 part may itself contain "+", so only the first two split.
    var first = verifier.indexOf("+"), second = verifier.indexOf("+", first + 1);
    var name = verifier.slice(0, first), keyId = fromHex(verifier.slice(first + 1, second));
    var raw = fromBase64(verifier.slice(second + 1));
    if (raw.length !== 33 || raw[0] !== 1) { fail("页面上的公钥格式不对，无法核对。"); }
    var cut = note.lastIndexOf("\n\n");
    if (cut < 0) { fail("检查点格式不对。"); }
    var body = note.slice(0, cut + 1);
    var signature = null;
    note.slice(cut + 2).split("\n").forEach(function (line) {
      var prefix = "\u2014 " + name + " ";
      if (line.indexOf(prefix) === 0) {
        var blob = fromBase64(line.slice(prefix.length));
        if (equal(blob.slice(0, 4), keyId)) { signature = blob.slice(4); }
      }
    });
    if (!signature) { fail("检查点上没有本日志公钥的签名。"); }
    return crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"])
      .catch(function () { fail("您的浏览器不支持 Ed25519 签名核对，请使用命令行验证程序 verify_publication.py。"); })
      .then(function (key) { return crypto.subtle.verify({ name: "Ed25519" }, key, signature, encoder.encode(body)); })
      .then(function (valid) {
        if (!valid) { fail("检查点的签名无法验证：检查点被改动，或不是本日志签署的。"); }
        var lines = body.split("\n");
        return { origin: lines[0], size: parseInt(lines[1], 10), root: fromBase64(lines[2]) };
      });
  }

  // RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
  function rootFromProof(leafHash, index, size, proof) {
    var fn = index, sn = size - 1, r = leafHash, step = Promise.resolve();
    proof.forEach(function (sibling) {
      step = step.then(function () {
        if (sn === 0) { fail("包含证明过长：日志被改动。"); }
        var node;
        if (fn % 2 === 1 || fn === sn) {
          node = concat(new Uint8Array([1]), sibling, r);
          if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
        } else {
          node = concat(new Uint8Array([1]), r, sibling);
        }
        fn >>= 1; sn >>= 1;
        return sha256(node).then(function (hash) { r = hash; });
      });
    });
    return step.then(function () {
      if (sn !== 0) { fail("包含证明过短：日志被改动。"); }
      return r;
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) { fail("无法从本站取得核对所需的数据（" + response.status + "），请稍后再试。"); }
      return response.json();
    });
  }

  function digestOfInput() {
    var typed = form.elements.sha256.value.trim().toLowerCase();
    var file = form.elements.file.files[0];
    if (file) {
      return file.arrayBuffer().then(function (data) { return sha256(new Uint8Array(data)); }).then(hex);
    }
    if (/^[0-9a-f]{64}$/.test(typed)) { return Promise.resolve(typed); }
    return Promise.reject(Object.assign(new Error("请选择一个文件，或粘贴 64 位的 SHA-256 值。"), { shown: true }));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say("正在核对…", true);
    var digest, checkpoint;
    digestOfInput().then(function (value) {
      digest = value;
      return fetch(form.dataset.checkpoint, { credentials: "omit" }).then(function (response) {
        if (!response.ok) { fail("本日志还没有签名检查点，暂时无法核对。"); }
        return response.text();
      });
    }).then(function (note) {
      return verifyCheckpoint(note, form.dataset.key);
    }).then(function (signed) {
      checkpoint = signed;
      return getJSON(form.dataset.lookup + "?sha256=" + digest);
    }).then(function (found) {
      var covered = found.entries.filter(function (entry) { return entry.seq < checkpoint.size; });
      if (!covered.length) {
        fail(found.entries.length ? "该文件在最新签名之后才记入日志，请稍后再核对。"
          : "未核对通过：本日志中没有这个 SHA-256（" + digest + "）。文件可能被改动过，或不是本平台发布的。");
      }
      var seq = Math.max.apply(null, covered.map(function (entry) { return entry.seq; }));
      return getJSON(form.dataset.proofPrefix + seq + "?size=" + checkpoint.size);
    }).then(function (proof) {
      var leaf = JSON.parse(proof.leaf);
      if (leaf.sha256 !== digest || leaf.seq !== proof.index) { fail("本站给出的记录与文件不符：日志被改动。"); }
      return sha256(concat(new Uint8Array([0]), encoder.encode(proof.leaf))).then(function (leafHash) {
        return rootFromProof(leafHash, proof.index, checkpoint.size, proof.proof.map(fromHex));
      }).then(function (root) {
        if (!equal(root, checkpoint.root)) { fail("包含证明与签名的根不符：日志被改动。"); }
        say("已核对：第 " + proof.index + " 条，包含在 " + proof.signed_on + " 签名的日志中（共 " + checkpoint.size +
            " 条，" + checkpoint.origin + "）。", true);
      });
    }).catch(function (error) {
      say(error.shown ? error.message : "核对未完成：" + error.message, false);
    });
  });
}());
