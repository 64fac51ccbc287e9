/* faq-bot chat widget: vetted answers for patients, in a Shadow DOM so the host page's
   styles cannot reach it. One tag on any page:
     <script src="https://clinic.example/widget.js" defer></script>
   Optional attributes: data-api-base (where the API lives; default the script's origin),
   data-title, data-accent (a CSS colour with white text on it), data-position ("left").
   Text from the server or the patient is only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  if (window.faqBotWidget) return;
  var script = document.currentScript;

  function attr(name) {
    return ((script && script.getAttribute("data-" + name)) || "").trim();
  }

  var base = (attr("api-base") || (script && script.src ? new URL(script.src, location.href).origin : ""))
    .replace(/\/+$/, "");
  var title = attr("title") || "Ask the clinic";
  var accent = attr("accent");
  var STORE_KEY = "faq-bot:conversation:" + base;
  var MAX_ENTRIES = 60;
  var UNSURE = "Sorry that none of those fit. Please try asking in another way, " +
    "or speak to your specialist or the clinic team.";
  var CALLS = [
    ["tel:999", "Call 999"],
    ["tel:111", "Call NHS 111"],
    ["tel:116123", "Call Samaritans 116 123"],
    ["sms:85258", "Text SHOUT to 85258"]
  ];
  var HELP_NOW = "If you need help now, do not wait for this chat. In an emergency call 999. " +
    "For urgent advice call NHS 111. To talk to someone, call Samaritans free on 116 123.";

  var STYLES = [
    ":host{all:initial}",
    "*,*::before,*::after{box-sizing:border-box}",
    ".root{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1d1d1f;--accent:#005eb8}",
    "button,input{font:inherit;color:inherit}",
    "button{cursor:pointer}",
    ":focus-visible{outline:3px solid #0b0c0c;outline-offset:2px;box-shadow:0 0 0 2px #fff}",
    ".launcher{position:fixed;bottom:16px;right:16px;z-index:2147483000;min-height:48px;padding:10px 20px;" +
      "border:2px solid #fff;border-radius:24px;background:var(--accent);color:#fff;font-weight:700;" +
      "box-shadow:0 2px 8px rgba(0,0,0,.35)}",
    ".left .launcher{right:auto;left:16px}",
    ".panel{position:fixed;bottom:80px;right:16px;z-index:2147483000;display:flex;flex-direction:column;" +
      "width:min(400px,calc(100vw - 32px));height:min(620px,calc(100vh - 96px));background:#fff;" +
      "border:1px solid #6b6b6b;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.3);overflow:hidden}",
    ".left .panel{right:auto;left:16px}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;gap:4px;padding:4px 4px 4px 16px;background:var(--accent);color:#fff}",
    ".head h2{flex:1;margin:0;font-size:1.125em;line-height:1.3}",
    ".head button{min-width:44px;min-height:44px;padding:4px 8px;border:0;border-radius:6px;background:transparent;color:#fff}",
    ".head button:focus-visible{outline-color:#fff;box-shadow:none}",
    ".head .close{font-size:1.5em;line-height:1}",
    ".notice{margin:0;padding:6px 16px;background:#fff4ce;border-bottom:1px solid #c9b04a;font-size:.875em}",
    ".log{flex:1;position:relative;overflow-y:auto;margin:0;padding:12px;list-style:none;display:flex;" +
      "flex-direction:column;gap:10px}",
    ".msg{max-width:92%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}",
    ".msg p{margin:0 0 6px}.msg p:last-child{margin-bottom:0}",
    ".user{align-self:flex-end;background:#dde9f7;border-bottom-right-radius:2px;white-space:pre-wrap}",
    ".bot{align-self:flex-start;background:#f1f3f4;border-bottom-left-radius:2px}",
    ".bot .q{font-weight:700}",
    ".specialist{border-left:4px solid #005eb8}",
    ".error{border-left:4px solid #8a5300;background:#fff4e5}",
    ".emergency{align-self:stretch;max-width:none;background:#fdecea;border:2px solid #b3261e}",
    ".emergency .urgent{font-weight:700;color:#8c1d18;font-size:1.0625em}",
    ".calls{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 8px;padding:0;list-style:none}",
    ".calls a{display:inline-block;min-height:44px;padding:10px 14px;border-radius:8px;background:#b3261e;" +
      "color:#fff;font-weight:700;text-decoration:none}",
    ".src{font-size:.875em;color:#46494d}",
    ".help-now{font-weight:700}",
    ".caveat{padding:4px 8px;border-left:4px solid #005eb8;background:#fff;font-size:.9375em}",
    ".choices{margin:8px 0 0;padding:0;list-style:none}",
    ".choice,.retry{display:block;width:100%;margin-top:6px;min-height:44px;padding:8px 12px;text-align:left;" +
      "border:2px solid #005eb8;border-radius:8px;background:#fff;color:#003d7a}",
    ".choice[aria-pressed=true]{background:#dde9f7}",
    ".fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:6px;font-size:.875em}",
    ".fb button{display:inline-flex;align-items:center;gap:6px;min-width:44px;min-height:44px;padding:4px 12px;" +
      "border:1px solid #6b6b6b;border-radius:8px;background:#fff}",
    ".fb svg{width:18px;height:18px;fill:currentColor}",
    ".fb button[aria-pressed=true]{background:#dde9f7;border:2px solid #005eb8}",
    ".typing{align-self:flex-start;margin:0 12px 8px;padding:8px 12px;border-radius:12px;background:#f1f3f4}",
    ".typing[hidden]{display:none}",
    ".dot{display:inline-block;width:8px;height:8px;margin:0 2px;border-radius:50%;background:#46494d;" +
      "animation:faq-bot-blink 1.2s infinite both}",
    ".dot:nth-child(3){animation-delay:.2s}.dot:nth-child(4){animation-delay:.4s}",
    "@keyframes faq-bot-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}",
    "form{padding:8px 12px 12px;border-top:1px solid #c4c7c5}",
    "label{display:block;margin-bottom:4px;font-size:.875em;font-weight:700}",
    ".row{display:flex;gap:8px}",
    "input{flex:1;min-width:0;min-height:44px;padding:8px 10px;border:2px solid #6b6b6b;border-radius:8px;background:#fff}",
    ".send{min-height:44px;padding:8px 16px;border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:700}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px),(max-height:480px){.panel,.left .panel{top:0;right:0;bottom:0;left:0;width:auto;" +
      "height:auto;border:0;border-radius:0}.open .launcher{display:none}}",
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}"
  ].join("\n");

  /* Build an element. Strings become text nodes; nothing is ever parsed as HTML. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* Tap-to-call links for 999, NHS 111, Samaritans and SHOUT. */
  function callLinks() {
    return el("ul", { "class": "calls" }, CALLS.map(function (call) {
      return el("li", {}, [el("a", { href: call[0], text: call[1] })]);
    }));
  }

  function paragraphs(text) {
    return String(text || "").split(/\n\s*\n/).map(function (part) { return el("p", { text: part }); });
  }

  /* -- state, kept for the browser tab so the conversation survives navigation -- */
  var state = { open: false, entries: [] };
  try {
    var saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (saved && Array.isArray(saved.entries)) state = saved;
  } catch (e) { /* storage unavailable or corrupt: start afresh */ }

  function save() {
    state.entries = state.entries.slice(-MAX_ENTRIES);
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* storage full or blocked */ }
  }

  /* -- the DOM -- */
  var host = document.createElement("faq-bot-widget");
  var shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(el("style", { text: STYLES }));
  }

  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false",
    "aria-controls": "faq-bot-panel", text: "Questions? Ask us" });
  var log = el("ol", { "class": "log", "aria-label": "Conversation" });
  var typing = el("div", { "class": "typing", hidden: true }, [
    el("span", { "class": "sr", text: "Looking for an answer" }),
    el("span", { "class": "dot", "aria-hidden": "true" }),
    el("span", { "class": "dot", "aria-hidden": "true" }),
    el("span", { "class": "dot", "aria-hidden": "true" })
  ]);
  var input = el("input", { id: "faq-bot-question", type: "text", name: "question", autocomplete: "off",
    maxlength: "1000", enterkeyhint: "send" });
  var form = el("form", { novalidate: true }, [
    el("label", { "for": "faq-bot-question", text: "Your question" }),
    el("div", { "class": "row" }, [input, el("button", { type: "submit", "class": "send", text: "Send" })])
  ]);
  var polite = el("div", { "class": "sr", "aria-live": "polite", "data-live": "polite" });
  var assertive = el("div", { "class": "sr", "aria-live": "assertive", "data-live": "assertive" });
  var panel = el("section", { id: "faq-bot-panel", "class": "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "faq-bot-title", hidden: true }, [
    el("div", { "class": "head" }, [
      el("h2", { id: "faq-bot-title", text: title }),
      el("button", { type: "button", "class": "clear", text: "Clear", "aria-label": "Clear conversation",
        onclick: clearConversation }),
      el("button", { type: "button", "class": "close", "aria-label": "Close chat", text: "\u00d7", onclick: close })
    ]),
    el("p", { "class": "notice", text: "General information, not medical advice. In an emergency call 999." }),
    log, typing, form, polite, assertive
  ]);
  var root = el("div", { "class": "root", lang: "en-GB" }, [launcher, panel]);
  if (attr("position") === "left") root.classList.add("left");
  if (accent && window.CSS && window.CSS.supports("color", accent)) root.style.setProperty("--accent", accent);
  shadow.appendChild(root);

  function announce(text, urgent) {
    var region = urgent ? assertive : polite;
    region.textContent = "";
    // A fresh node after a tick is what screen readers reliably announce.
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function open(focus) {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    save();
    log.scrollTop = log.scrollHeight;
    if (focus) input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(true); else close();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });

  /* -- talking to the API -- */
  function request(path, body) {
    var options = { credentials: "omit", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(base + path, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw { status: response.status, data: data };
        return data;
      });
    });
  }

  var busy = false;
  function run(task, question) {
    if (busy) return;
    busy = true;
    typing.hidden = false;
    log.setAttribute("aria-busy", "true");
    task().then(function () {
      finish();
    }, function (error) {
      finish();
      showError(error, task, question);
    });
  }

  function finish() {
    busy = false;
    typing.hidden = true;
    log.removeAttribute("aria-busy");
  }

  function showError(error, task, question) {
    var status = error && error.status;
    var retryable = !status || status === 429 || status >= 500;
    var text;
    if (status === 429) text = "Too many questions in a short time. Please wait a moment, then try again.";
    else if (!retryable && error.data && error.data.error) text = error.data.error.message;
    else text = "Sorry, the answer service could not be reached. Your question has been kept.";
    // Whatever went wrong, the patient still sees where to get help now: the service may be down.
    var item = el("li", { "class": "msg bot error" }, [
      el("p", { text: text }), el("p", { "class": "help-now", text: HELP_NOW }), callLinks()]);
    if (retryable) {
      item.appendChild(el("button", { type: "button", "class": "retry", text: "Try again", onclick: function () {
        item.remove();
        run(task, question);
      } }));
    }
    if (question && !input.value) input.value = question;
    show(item);
    announce(text + (retryable ? " Use Try again to resend it. " : " ") + HELP_NOW, false);
  }

  function ask(question) {
    if (busy) return;
    add({ t: "q", text: question }, true);
    run(function () {
      return request("/api/ask", { question: question }).then(function (reply) {
        if (input.value === question) input.value = "";
        add({ t: "r", reply: reply, question: question }, true);
      });
    }, question);
  }

  /* Tell the clinic which suggestion helped (null: none did), so editors can add the wording. */
  function reportPick(question, answerId) {
    if (question) request("/api/picked", { question: question, answer_id: answerId }).catch(function () {});
  }

  function choose(suggestion) {
    if (busy) return;
    add({ t: "q", text: suggestion.question }, true);
    run(function () {
      return request("/api/answers/" + encodeURIComponent(suggestion.id)).then(function (answer) {
        add({ t: "a", answer: answer }, true);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });

  /* -- rendering one entry of the conversation -- */
  function answerParts(answer, entry) {
    var parts = [el("p", { "class": "q", text: answer.question })].concat(paragraphs(answer.answer));
    parts.push(el("p", { "class": "src", text: "Source: " + answer.source + " \u00b7 Reviewed " + answer.reviewed_on }));
    parts.push(feedback(answer.id, entry));
    return parts;
  }

  function feedback(answerId, entry) {
    var status = el("span", { role: "status" });
    var buttons = [[true, "Yes"], [false, "No"]].map(function (choice) {
      return el("button", { type: "button", "aria-pressed": String(entry.vote === choice[0]),
        onclick: function () { vote(choice[0]); } }, [thumb(choice[0]), choice[1]]);
    });
    function vote(helpful) {
      request("/api/feedback", { answer_id: answerId, helpful: helpful }).then(function () {
        entry.vote = helpful;
        save();
        buttons[0].setAttribute("aria-pressed", String(helpful === true));
        buttons[1].setAttribute("aria-pressed", String(helpful === false));
        status.textContent = "Thank you for your feedback.";
      }, function () {
        status.textContent = "Sorry, your feedback could not be sent.";
      });
    }
    if (entry.vote !== undefined) status.textContent = "Thank you for your feedback.";
    return el("div", { "class": "fb", role: "group", "aria-labelledby": "faq-bot-fb-" + (++feedbackCount) }, [
      el("span", { id: "faq-bot-fb-" + feedbackCount, text: "Was this helpful?" }), buttons[0], buttons[1], status]);
  }

  var feedbackCount = 0;
  var THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 " +
    "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
  function thumb(up) {
    var svgNs = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (!up) svg.setAttribute("transform", "rotate(180)");
    var path = document.createElementNS(svgNs, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    return svg;
  }

  function render(entry) {
    if (entry.t === "q") return el("li", { "class": "msg user" }, [el("span", { "class": "sr", text: "You said: " }),
      entry.text]);
    if (entry.t === "a") return el("li", { "class": "msg bot answer" }, answerParts(entry.answer, entry));
    if (entry.t === "none") return el("li", { "class": "msg bot specialist" }, paragraphs(UNSURE));
    var reply = entry.reply;
    if (reply.route === "emergency") {
      return el("li", { "class": "msg emergency", "data-route": "emergency" }, [
        el("p", { "class": "urgent", text: "Urgent: get help now" }), callLinks()
      ].concat(paragraphs(reply.message)));
    }
    if (reply.route === "answer" && reply.answer) {
      var parts = answerParts(reply.answer, entry);
      if (reply.reason === "smalltalk") parts = paragraphs(reply.message);
      // A general answer to a question about the patient's own situation: say so, before the answer.
      if (reply.caveat) parts.splice(1, 0, el("p", { "class": "caveat", text: reply.caveat }));
      return el("li", { "class": "msg bot answer", "data-route": "answer" }, parts);
    }
    if (reply.route === "clarify") {
      var choices = (reply.suggestions || []).map(function (suggestion) {
        return el("li", {}, [el("button", { type: "button", "class": "choice",
          "aria-pressed": String(entry.chosen === suggestion.id), text: suggestion.question,
          onclick: function (event) {
            entry.chosen = suggestion.id;
            event.currentTarget.setAttribute("aria-pressed", "true");
            reportPick(entry.question, suggestion.id);
            choose(suggestion);
          } })]);
      });
      choices.push(el("li", {}, [el("button", { type: "button", "class": "choice", text: "None of these",
        "aria-pressed": String(entry.chosen === ""), onclick: function (event) {
          entry.chosen = "";
          event.currentTarget.setAttribute("aria-pressed", "true");
          reportPick(entry.question, null);
          add({ t: "q", text: "None of these" }, true);
          add({ t: "none" }, true);
        } })]));
      return el("li", { "class": "msg bot clarify", "data-route": "clarify" },
        paragraphs(reply.message).concat([el("ul", { "class": "choices", "aria-label": "Did you mean" }, choices)]));
    }
    return el("li", { "class": "msg bot specialist", "data-route": reply.route }, paragraphs(reply.message));
  }

  function spoken(entry) {
    if (entry.t === "a") return entry.answer.question + ". " + entry.answer.answer;
    if (entry.t === "none") return UNSURE;
    if (entry.t !== "r") return "";
    var reply = entry.reply;
    if (reply.route === "clarify") {
      return reply.message + " " + (reply.suggestions || []).map(function (s) { return s.question; }).join("; ");
    }
    if (reply.route === "answer" && reply.caveat) return reply.caveat + " " + reply.message;
    return (reply.route === "emergency" ? "Urgent. " : "") + reply.message;
  }

  function show(node) {
    log.appendChild(node);
    if (node.classList.contains("user")) log.scrollTop = log.scrollHeight;
    else log.scrollTop = Math.max(0, node.offsetTop - 8);
  }

  function add(entry, live) {
    state.entries.push(entry);
    save();
    show(render(entry));
    if (live && entry.t !== "q") announce(spoken(entry), entry.t === "r" && entry.reply.route === "emergency");
  }

  function welcome() {
    return el("li", { "class": "msg bot" }, [el("p", { text: "Hello. This is an automated service, not a person. " +
      "Ask a question about MS pain, medical cannabis treatment or getting it in the UK. Answers come from " +
      "information checked by the clinic." })]);
  }

  function clearConversation() {
    state.entries = [];
    save();
    log.textContent = "";
    log.appendChild(welcome());
    announce("Conversation cleared.", false);
    input.focus();
  }

  log.appendChild(welcome());
  state.entries.forEach(function (entry) {
    try { log.appendChild(render(entry)); } catch (e) { /* an entry from an older widget: skip it */ }
  });

  function mount() {
    document.body.appendChild(host);
    if (state.open) open(false);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
  window.faqBotWidget = { open: function () { open(true); }, close: close, clear: clearConversation };
})();
