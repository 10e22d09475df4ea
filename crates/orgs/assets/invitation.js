// The page behind an invitation link (/invitations/<token>): shows what the
// invitation is for and lets its holder accept it (signing in, or creating the
// invited account) or decline it. No third-party code; served from the binary.
(function () {
  "use strict";
  var token = decodeURIComponent(window.location.pathname.split("/").pop() || "");
  var base = "/api/v1/invitations/" + encodeURIComponent(token);
  var result = document.getElementById("result");

  function show(text, ok) {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
  }
  function call(method, path, body, bearer) {
    var headers = {};
    if (body) { headers["content-type"] = "application/json"; }
    if (bearer) { headers.authorization = "Bearer " + bearer; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (res) { return res.json().then(function (json) { return { ok: res.ok, json: json }; }); });
  }
  function explain(json) {
    var err = (json && json.error) || {};
    var fields = (err.details && err.details.fields) || [];
    return fields.length ? fields.map(function (f) { return f.message; }).join(" ") : (err.message || "Something went wrong.");
  }
  function done(r, text) {
    if (r.ok) { document.getElementById("choices").hidden = true; show(text, true); } else { show(explain(r.json), false); }
  }
  var offline = function () { show("The server could not be reached.", false); };

  call("GET", base).then(function (r) {
    if (!r.ok) { show(explain(r.json), false); return; }
    var d = r.json.data;
    document.getElementById("title").textContent = "Join " + d.organizationName;
    document.getElementById("summary").textContent =
      (d.inviterName ? d.inviterName + " invited you" : "You are invited") + " to join " + d.organizationName +
      " as " + d.role + ". The invitation is valid until " + new Date(d.expiresAt).toLocaleString() + ".";
    document.getElementById("choices").hidden = false;
  }, offline);

  document.getElementById("sign-in").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target.elements;
    call("POST", "/api/v1/auth/login", { email: f.email.value, password: f.password.value }).then(function (r) {
      if (!r.ok) { show(explain(r.json), false); return; }
      return call("POST", base + "/accept", null, r.json.data.accessToken).then(function (a) {
        done(a, "You joined " + (a.ok ? a.json.data.organizationName : "") + ".");
      });
    }, offline);
  });
  document.getElementById("register").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target.elements;
    call("POST", base + "/accept", { name: f.name.value, password: f.password.value }).then(function (r) {
      done(r, "Your account is ready and you joined " + (r.ok ? r.json.data.organizationName : "") + ". Sign in now.");
    }, offline);
  });
  document.getElementById("decline").addEventListener("submit", function (e) {
    e.preventDefault();
    call("POST", base + "/decline").then(function (r) { done(r, "You declined the invitation."); }, offline);
  });
})();
