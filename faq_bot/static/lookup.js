/* Receptionists' look-up: search as you type, pick with the arrow keys and Enter, copy the
   answer. The page works without this script as a plain server-rendered search form.
   Text from the server or the search box is only ever set with textContent. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  // Same list as faq_bot/pages.py: words too common to highlight.
  var PLAIN = ("a about an and are as at be by can do does for from how i if in is it me my of on or so " +
    "that the this to was what when which who why will with you your").split(" ");
  var WORD = /[A-Za-z0-9]+(?:'[A-Za-z]+)?/g;

  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var section = document.getElementById("results-section");
  var list = document.getElementById("results");
  var empty = document.getElementById("no-results");
  var answerBox = document.getElementById("answer");
  var routeBox = document.getElementById("route");
  if (!form || !input || !list || !answerBox) return;

  var results = [];
  var active = -1;
  var timer = null;
  var searchSeq = 0;
  var askSeq = 0;
  var pending = null;
  var query = input.value;
  var routeUrl = form.getAttribute("data-route-url") || "/lookup/route";
  var shownId = new URLSearchParams(location.search).get("id") || "";

  var count = el("p", { "class": "sr", role: "status" });
  form.appendChild(count);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "results");
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Matching answers");

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function words(text) {
    return (text.match(WORD) || []).map(function (w) { return w.toLowerCase(); })
      .filter(function (w) { return PLAIN.indexOf(w) < 0; });
  }

  function sameWord(a, b) {
    var shorter = a.length <= b.length ? a : b;
    var longer = shorter === a ? b : a;
    return a === b || (shorter.length >= 3 && longer.indexOf(shorter) === 0);
  }

  /* The text as nodes, with words that match the search wrapped in <mark>. */
  function highlighted(text, search) {
    var wanted = words(search);
    var nodes = [];
    var position = 0;
    text.replace(WORD, function (word, offset) {
      var lower = word.toLowerCase();
      if (wanted.some(function (w) { return sameWord(lower, w); })) {
        if (offset > position) nodes.push(text.slice(position, offset));
        nodes.push(el("mark", { text: word }));
        position = offset + word.length;
      }
      return word;
    });
    if (position < text.length) nodes.push(text.slice(position));
    return nodes;
  }

  function getJson(url, body) {
    var options = { headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function updateUrl() {
    var params = new URLSearchParams();
    if (query.trim()) params.set("q", query);
    if (shownId) params.set("id", shownId);
    var search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }

  /* -- searching -- */
  function search() {
    clearTimeout(timer);
    timer = null;
    query = input.value;
    var seq = ++searchSeq;
    checkRoute(query);
    updateUrl();
    if (!query.trim()) {
      showResults([], "");
      section.hidden = true;
      pending = Promise.resolve();
      return pending;
    }
    pending = getJson("/api/search?limit=10&q=" + encodeURIComponent(query)).then(function (body) {
      if (seq === searchSeq) showResults(body.results, query);
    }, function () {
      if (seq === searchSeq) count.textContent = "Search failed. Press Enter to try again.";
    });
    return pending;
  }

  function showResults(items, search) {
    // Keep the receptionist's place when fresh results still hold the answer they moved to.
    var keep = active >= 0 && results[active] ? results[active].id : null;
    results = items;
    active = -1;
    list.textContent = "";
    list.setAttribute("data-query", search);
    items.forEach(function (item, index) {
      var option = el("li", { "class": "result", role: "option", id: "result-" + item.id, "aria-selected": "false",
        "data-id": item.id }, [
        el("span", { "class": "result-question", text: item.question }),
        el("span", { "class": "result-meta" }, [el("span", { "class": "topic", text: item.topic }),
          " \u00b7 score " + Math.round(item.score)]),
        el("span", { "class": "matched" }, ["Matched: \u201c"].concat(highlighted(item.matched, search), ["\u201d"]))
      ]);
      // Keep focus in the search box when a result is clicked.
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { pick(index); });
      list.appendChild(option);
    });
    section.hidden = false;
    empty.hidden = items.length > 0 || !search.trim();
    input.setAttribute("aria-expanded", String(items.length > 0));
    input.removeAttribute("aria-activedescendant");
    var kept = items.map(function (item) { return item.id; }).indexOf(keep);
    if (kept >= 0) setActive(kept);
    count.textContent = search.trim() ? (items.length ? items.length + " answers found." : "No answers match.") : "";
  }

  function setActive(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (option, i) {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    var option = list.children[index];
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function pick(index) {
    if (!results[index]) return;
    setActive(index);
    showAnswer(results[index].id, true);
  }

  /* -- route badge: what the patient chat would do with these words -- */
  function checkRoute(text) {
    var seq = ++askSeq;
    if (!text.trim()) {
      routeBox.textContent = "";
      return;
    }
    getJson(routeUrl + "?q=" + encodeURIComponent(text)).then(function (reply) {
      if (seq !== askSeq) return;
      routeBox.textContent = "";
      var badge = routeBadge(reply);
      if (badge) routeBox.appendChild(badge);
    }, function () { /* the badge is a hint; the search still works without it */ });
  }

  function routeBadge(reply) {
    var label;
    var text;
    if (reply.route === "emergency") {
      label = "Emergency:";
      text = " the chat would tell this patient to get urgent help (999, NHS 111, Samaritans 116 123).";
    } else if (reply.route === "answer" && reply.caveat) {
      label = "With a caveat:";
      text = " asked about the patient's own situation, so the chat would add: \u201c" + reply.caveat + "\u201d";
    } else if (reply.route === "specialist" && reply.reason === "clinical") {
      label = "Specialist:";
      text = " a clinical question. The chat would refer the patient to their specialist.";
    } else if (reply.route === "specialist") {
      label = "Specialist:";
      text = " no vetted answer fits well. The chat would refer the patient to their specialist.";
    } else {
      return null;
    }
    return el("p", { "class": "badge badge-" + reply.route, "data-route": reply.route, "data-reason": reply.reason },
      [el("strong", { text: label }), text]);
  }

  /* -- one answer in full -- */
  function showAnswer(id, focus) {
    return getJson("/api/answers/" + encodeURIComponent(id)).then(function (answer) {
      shownId = answer.id;
      updateUrl();
      answerBox.textContent = "";
      var heading = el("h2", { id: "answer-heading", tabindex: "-1", text: answer.question });
      var status = el("p", { "class": "copy-status", role: "status" });
      var copy = el("button", { type: "button", "class": "copy", text: "Copy answer" });
      copy.addEventListener("click", function () {
        var text = answer.question + "\n\n" + answer.answer + "\n\nSource: " + answer.source +
          " (reviewed " + answer.reviewed_on + ")";
        copyText(text).then(function () {
          status.textContent = "Answer copied to the clipboard.";
        }, function () {
          status.textContent = "Could not copy. Select the text and copy it instead.";
        });
      });
      answerBox.appendChild(heading);
      answerBox.appendChild(el("div", { "class": "answer-text" }, String(answer.answer).split(/\n\s*\n/)
        .map(function (part) { return el("p", { text: part }); })));
      answerBox.appendChild(el("dl", { "class": "answer-meta" }, [
        el("dt", { text: "Source" }), el("dd", { "class": "source", text: answer.source }),
        el("dt", { text: "Reviewed" }), el("dd", { "class": "reviewed", text: answer.reviewed_on }),
        el("dt", { text: "Topic" }), el("dd", { "class": "topic", text: answer.topic })
      ]));
      answerBox.appendChild(copy);
      answerBox.appendChild(status);
      answerBox.hidden = false;
      document.title = answer.question + " \u00b7 Answer look-up";
      if (focus) heading.focus();
    }, function () {
      count.textContent = "Could not load that answer. Please try again.";
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain-http intranet pages have no clipboard API: fall back to a hidden selection.
    return new Promise(function (resolve, reject) {
      var area = el("textarea", { "class": "sr", "aria-hidden": "true", tabindex: "-1" });
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      input.focus();
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  /* -- events -- */
  input.addEventListener("input", function () {
    clearTimeout(timer);
    pending = null;
    timer = setTimeout(search, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!results.length) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = active < 0 ? (step > 0 ? 0 : results.length - 1) : active + step;
      setActive(Math.max(0, Math.min(results.length - 1, next)));
    } else if (event.key === "Escape" && active >= 0) {
      event.preventDefault();
      setActive(-1);
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var stale = timer !== null || input.value !== query || !pending;
    var chosen = stale ? -1 : active;
    var ready = stale ? search() : pending;
    ready.then(function () { pick(chosen >= 0 && chosen < results.length ? chosen : 0); });
  });

  if (query.trim()) search();
  if (shownId && answerBox.querySelector(".copy")) showAnswer(shownId, false);
  if (!shownId) input.focus();
})();
