/* faq-bot chat widget: a placeholder until the full widget lands. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script && script.getAttribute("data-api-base")) || (script ? new URL(script.src).origin : "");
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Questions? Ask us";
  button.addEventListener("click", function () {
    var question = window.prompt("Your question");
    if (!question) return;
    fetch(base + "/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question })
    }).then(function (r) { return r.json(); }).then(function (reply) { window.alert(reply.message); });
  });
  document.body.appendChild(button);
})();
