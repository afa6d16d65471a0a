/* citygraph query page: run a SPARQL query against /sparql with fetch() and show the answer.
 *
 * SELECT answers arrive as SPARQL JSON results, CONSTRUCT/DESCRIBE answers as N-Triples; both are
 * shown as a table whose columns sort on a click of their header. IRIs under the dataset's base
 * become links to this server (/id/...). Licence: MIT (the citygraph code licence).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("citygraph-config").textContent);
  var ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";
  var XSD = config.prefixes.xsd;
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map(function (t) {
    return XSD + t;
  });

  var editor = null;
  var running = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* ---- terms ---------------------------------------------------------------------------- */

  /** The local path of an IRI under the dataset's base, or null for other IRIs. */
  function localPath(iri) {
    if (iri.indexOf(config.base) !== 0) return null;
    var rest = iri.slice(config.base.length);
    return "/" + rest;
  }

  /** A short form of an IRI with the predeclared prefixes (the longest namespace wins). */
  function compact(iri) {
    var best = null;
    Object.keys(config.prefixes).forEach(function (prefix) {
      var ns = config.prefixes[prefix];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > config.prefixes[best].length)) {
        best = prefix;
      }
    });
    return best === null ? iri : best + ":" + iri.slice(config.prefixes[best].length);
  }

  /** The text a term is sorted by, and whether it is a number. */
  function sortKey(term) {
    if (!term) return { empty: true, text: "", number: NaN };
    var number = NaN;
    if (term.type === "literal" && NUMERIC.indexOf(term.datatype) >= 0) number = parseFloat(term.value);
    return { empty: false, text: term.value, number: number };
  }

  function renderTerm(term) {
    var cell = el("td");
    if (!term) return cell;
    if (term.type === "uri") {
      var local = localPath(term.value);
      var link = el("a", { href: local || term.value, title: term.value, text: compact(term.value) });
      if (!local) link.setAttribute("rel", "noopener noreferrer external");
      cell.appendChild(link);
    } else if (term.type === "bnode") {
      cell.appendChild(el("span", { className: "bnode", text: "_:" + term.value }));
    } else if (term.type === "triple") {
      cell.appendChild(el("span", { className: "quoted-triple", text: "<< " + [term.value.subject,
        term.value.predicate, term.value.object].map(function (t) { return t.value; }).join(" ") + " >>" }));
    } else {
      cell.appendChild(el("span", { className: "literal", text: term.value }));
      var lang = term["xml:lang"];
      if (lang) {
        cell.appendChild(el("span", { className: "lang", text: "@" + lang }));
      } else if (NUMERIC.indexOf(term.datatype) >= 0 || term.datatype === XSD + "boolean") {
        cell.title = compact(term.datatype);  /* plain numbers and booleans need no suffix */
      } else if (term.datatype && term.datatype !== XSD + "string") {
        cell.appendChild(el("span", { className: "datatype", title: term.datatype,
          text: "^^" + compact(term.datatype) }));
      }
      if (NUMERIC.indexOf(term.datatype) >= 0) cell.className = "number";
    }
    return cell;
  }

  /* ---- N-Triples (answers of CONSTRUCT and DESCRIBE) ------------------------------------ */

  var NT_TERM = /\s*(<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)/y;

  function unescapeLiteral(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, function (_, u4, u8, c) {
      if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
      return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f", '"': '"', "'": "'", "\\": "\\" }[c] || c;
    });
  }

  function ntTerm(text) {
    if (text[0] === "<") return { type: "uri", value: unescapeLiteral(text.slice(1, -1)) };
    if (text[0] === "_") return { type: "bnode", value: text.slice(2) };
    var end = text.lastIndexOf('"');
    var term = { type: "literal", value: unescapeLiteral(text.slice(1, end)) };
    var rest = text.slice(end + 1);
    if (rest[0] === "@") term["xml:lang"] = rest.slice(1);
    else if (rest.indexOf("^^<") === 0) term.datatype = rest.slice(3, -1);
    return term;
  }

  /** Parse N-Triples into SPARQL-JSON-like rows of subject, predicate and object. */
  function parseNTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      if (!line.trim() || line.trim()[0] === "#") return;
      var terms = [];
      NT_TERM.lastIndex = 0;
      for (var i = 0; i < 3; i++) {
        var match = NT_TERM.exec(line);
        if (!match) return;
        terms.push(ntTerm(match[1]));
      }
      rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    });
    return rows;
  }

  /* ---- the result table ----------------------------------------------------------------- */

  function compareKeys(a, b) {
    if (a.empty !== b.empty) return a.empty ? 1 : -1;
    if (!isNaN(a.number) && !isNaN(b.number)) return a.number - b.number;
    return a.text.localeCompare(b.text, undefined, { numeric: true, sensitivity: "base" });
  }

  function renderTable(variables, rows) {
    var table = el("table", { id: "results-table", className: "results-table" });
    var noun = variables.join() === "subject,predicate,object" ? "triple" : "row";
    table.appendChild(el("caption", { className: "muted",
      text: rows.length + " " + noun + (rows.length === 1 ? "" : "s") +
        " (click a column header to sort)" }));
    var headRow = el("tr");
    var tbody = el("tbody");
    var state = { column: null, ascending: true };

    function fill(order) {
      tbody.textContent = "";
      order.forEach(function (row) {
        var tr = el("tr");
        variables.forEach(function (name) { tr.appendChild(renderTerm(row[name])); });
        tbody.appendChild(tr);
      });
    }

    variables.forEach(function (name, index) {
      var button = el("button", { type: "button", className: "sort", text: name });
      var th = el("th", { scope: "col", "aria-sort": "none" }, [button]);
      button.addEventListener("click", function () {
        state.ascending = state.column === index ? !state.ascending : true;
        state.column = index;
        var sorted = rows.slice().sort(function (a, b) {
          var result = compareKeys(sortKey(a[name]), sortKey(b[name]));
          return state.ascending ? result : -result;
        });
        Array.prototype.forEach.call(headRow.children, function (cell) {
          cell.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending");
        fill(sorted);
      });
      headRow.appendChild(th);
    });
    table.appendChild(el("thead", {}, [headRow]));
    table.appendChild(tbody);
    fill(rows);
    return table;
  }

  /* ---- running a query ------------------------------------------------------------------ */

  function setStatus(text) { $("query-status").textContent = text; }

  function showError(title, message) {
    $("query-error-title").textContent = title;
    $("query-error-message").textContent = message;
    $("query-error").hidden = false;
  }

  function clearOutput() {
    $("query-error").hidden = true;
    $("truncation-notice").hidden = true;
    $("downloads").hidden = true;
    $("results").textContent = "";
  }

  function showDownloads(query, formats) {
    var list = $("downloads").querySelector("ul");
    list.textContent = "";
    formats.forEach(function (name) {
      var href = config.endpoint + "?query=" + encodeURIComponent(query) +
        "&format=" + encodeURIComponent(name);
      list.appendChild(el("li", {}, [el("a", { href: href, download: "", className: "download",
        "data-format": name, text: name })]));
    });
    $("downloads").hidden = false;
  }

  function showTruncation(response, rows) {
    if (response.headers.get("X-Citygraph-Truncated") !== "true") return;
    var notice = $("truncation-notice");
    notice.textContent = "The result was cut after " + rows + " rows (the server's limit is " +
      config.maxRows + "). Add a LIMIT, narrow the query or page with OFFSET to see the rest; " +
      "the downloads are cut the same way.";
    notice.hidden = false;
  }

  function run(query) {
    if (running) running.abort();
    var controller = new AbortController();
    running = controller;
    clearOutput();
    setStatus("Running…");
    $("run-query").disabled = true;
    var started = performance.now();
    return fetch(config.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": ACCEPT },
      body: query,
      signal: controller.signal
    }).then(function (response) {
      return response.text().then(function (body) {
        if (controller !== running) return;
        var seconds = ((performance.now() - started) / 1000).toFixed(2);
        if (!response.ok) {
          var title = response.status === 400 ? "The query has an error" :
            "The server answered " + response.status + " " + response.statusText;
          showError(title, body.trim() || response.statusText);
          setStatus("Failed (" + response.status + ").");
          return;
        }
        var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
        var results = $("results");
        if (type === "application/sparql-results+json") {
          var data = JSON.parse(body);
          if (typeof data.boolean === "boolean") {
            results.appendChild(el("p", { id: "ask-answer", className: "ask-answer",
              text: "Answer: " + (data.boolean ? "yes (true)" : "no (false)") }));
            setStatus("ASK answered in " + seconds + " s.");
          } else {
            var rows = data.results.bindings;
            results.appendChild(renderTable(data.head.vars, rows));
            showTruncation(response, rows.length);
            setStatus(rows.length + " rows in " + seconds + " s.");
          }
          showDownloads(query, config.selectFormats);
        } else {
          var triples = parseNTriples(body);
          results.appendChild(renderTable(["subject", "predicate", "object"], triples));
          showTruncation(response, triples.length);
          setStatus(triples.length + " triples in " + seconds + " s.");
          showDownloads(query, config.graphFormats);
        }
      });
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      showError("The query could not be sent", String(error));
      setStatus("Failed.");
    }).finally(function () {
      if (controller === running) {
        running = null;
        $("run-query").disabled = false;
      }
    });
  }

  /* ---- wiring --------------------------------------------------------------------------- */

  function init() {
    editor = window.CitygraphSparql.attach($("query-text"));

    $("query-form").addEventListener("submit", function (event) {
      event.preventDefault();
      run(editor.getValue());
    });
    $("query-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run(editor.getValue());
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("button.load-example"), function (button) {
      button.addEventListener("click", function () {
        var example = config.examples[Number(button.getAttribute("data-example"))];
        if (!example) return;
        editor.setValue(example.text);
        $("results-heading").scrollIntoView({ block: "start" });
        run(example.text);
      });
    });
    document.body.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
