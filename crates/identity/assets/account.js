// Pages behind the links tessera e-mails: they read the token from the address
// and call the API. No third-party code; served from the binary.
(function () {
  "use strict";
  var token = new URLSearchParams(window.location.search).get("token") || "";
  var result = document.getElementById("result");

  function show(text, ok) {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
  }

  function post(path, body) {
    return fetch("/api/v1/auth/" + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(function (json) { return { ok: res.ok, json: json }; });
    });
  }

  function explain(json) {
    var err = (json && json.error) || {};
    var fields = (err.details && err.details.fields) || [];
    return fields.length ? fields.map(function (f) { return f.message; }).join(" ") : (err.message || "Something went wrong.");
  }

  var verify = document.getElementById("verify-email");
  if (verify) {
    verify.addEventListener("submit", function (e) {
      e.preventDefault();
      post("verify-email", { token: token }).then(function (r) {
        if (r.ok) { verify.hidden = true; show("Your address is confirmed. You can close this page.", true); }
        else { show(explain(r.json), false); }
      }, function () { show("The server could not be reached.", false); });
    });
  }

  var reset = document.getElementById("reset-password");
  if (reset) {
    reset.addEventListener("submit", function (e) {
      e.preventDefault();
      var pw = reset.elements.password.value;
      if (pw !== reset.elements.confirm.value) { show("The two passwords differ.", false); return; }
      post("reset-password", { token: token, newPassword: pw }).then(function (r) {
        if (r.ok) { reset.hidden = true; show("Your password is set. Sign in with it now.", true); }
        else { show(explain(r.json), false); }
      }, function () { show("The server could not be reached.", false); });
    });
  }
})();
