// transferwatch dashboard: the few behaviours the pages need (no inline script: the CSP forbids it).
// - alerts page: new alerts arrive live from /api/alerts/stream (Server-Sent Events) and go on top;
// - a <select data-autosubmit> submits its form on change;
// - a <form data-confirm="..."> asks before it is sent.
"use strict";

(function () {
  var KINDS = ["first_report", "increase", "decrease", "increment"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // text only: an alert's words are never parsed as HTML
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  // The same structure as templates/_alert.html.
  function alertItem(alert, entryId) {
    var metric = alert.metric || {};
    var current = alert.current || {};
    var kind = KINDS.indexOf(alert.kind) >= 0 ? alert.kind : "other";
    var li = el("li", "alert kind-" + kind + " new");
    li.dataset.id = entryId;
    var head = el("p", "head");
    head.append(el("time", "", String(alert.created_at || "")), " ",
                el("span", "kind", String(alert.kind || "")), " ",
                el("span", "category", String(metric.category || "")));
    li.append(head, el("p", "message", String(alert.message || "")));
    var links = el("p", "links");
    var parts = [metric.supplier, metric.recipient, metric.category, metric.unit];
    if (parts.every(Boolean)) { // the metric id, as alerts/rules.py metric_id builds it
      var a = el("a", "metric", "metric");
      a.href = "/metric/" + parts.map(encodeURIComponent).join(":");
      links.append(a);
    }
    var url = safeUrl(current.url);
    if (url) {
      var article = el("a", "article", String(current.title || url));
      article.href = url;
      article.rel = "noopener noreferrer";
      article.target = "_blank";
      links.append(" · ", article);
    }
    li.append(links);
    return li;
  }

  function liveAlerts() {
    var list = document.getElementById("alerts");
    var status = document.getElementById("live");
    if (!list || !list.dataset.stream || !window.EventSource) return;
    var source = new EventSource(list.dataset.stream);
    function show(state, words) {
      if (!status) return;
      status.dataset.state = state;
      status.textContent = words;
    }
    show("connecting", "Connecting to live alerts…");
    source.addEventListener("open", function () { show("live", "Live: new alerts appear at the top."); });
    source.addEventListener("error", function () { show("retrying", "Live updates interrupted; reconnecting…"); });
    source.addEventListener("alert", function (event) {
      var alert;
      try { alert = JSON.parse(event.data); } catch (e) { return; }
      if (list.querySelector('li[data-id="' + CSS.escape(event.lastEventId) + '"]')) return;
      list.prepend(alertItem(alert, event.lastEventId));
      var none = document.getElementById("no-alerts");
      if (none) none.remove();
    });
  }

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    liveAlerts();
    autosubmit();
    confirmations();
  });
})();
