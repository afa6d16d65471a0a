/* citygraph query page: run a SPARQL query with fetch() and show the answer.
 *
 * A free query (typed, or an example whose text was edited) goes to /sparql. A curated example
 * whose text is unchanged goes to the named-query API, GET /api/<name>?<param>=<value>, with the
 * values of its parameter form: the server binds them as typed RDF terms, and this script never
 * splices a value into SPARQL text. The download links follow the same rule.
 *
 * SELECT answers arrive as SPARQL JSON results, CONSTRUCT/DESCRIBE answers as N-Triples; both are
 * shown as a table whose columns sort on a click of their header. IRIs that this server
 * dereferences (under the dataset's base: /id/..., /graph/..., /ontology) become links to it.
 * Licence: MIT (the citygraph code licence).
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

  /* A literal longer than this (or with more lines) is clamped in the table, with a toggle. */
  var LONG_TEXT = 160;
  var LONG_LINES = 3;

  var editor = null;
  var running = null;
  /* The curated example loaded last: { example, inputs: {name: <input>} }, or null. */
  var active = null;

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

  /** The path on this server of an IRI it dereferences, or null for other IRIs.
   *
   * As the server's linked_data.local_href: an IRI under the configured base (or the ontology's
   * base) whose rest starts with id/, graph/ or ontology is served at "/" + rest, whatever the
   * base is; so <base>ontology#City links to /ontology#City. */
  function localPath(iri) {
    var bases = config.localBases || [config.base];
    for (var i = 0; i < bases.length; i++) {
      var base = bases[i];
      if (iri.indexOf(base) !== 0 || iri.length <= base.length) continue;
      var rest = iri.slice(base.length);
      var served = config.localRoots.some(function (root) { return rest.indexOf(root) === 0; });
      if (served) return "/" + rest;
    }
    return null;
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
      var literal = el("span", { className: "literal", text: term.value });
      cell.appendChild(literal);
      if (term.value.length > LONG_TEXT || term.value.split("\n").length > LONG_LINES) {
        clamp(cell, literal);
      }
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

  /** Clamp a long literal to a few lines; a button shows all of it (scrollable) and back. */
  function clamp(cell, literal) {
    literal.classList.add("long");
    literal.title = literal.textContent.length > 2000 ?
      literal.textContent.slice(0, 2000) + "…" : literal.textContent;
    var toggle = el("button", { type: "button", className: "expand", "aria-expanded": "false",
      text: "more" });
    toggle.addEventListener("click", function () {
      var open = !literal.classList.contains("expanded");
      literal.classList.toggle("expanded", open);
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "less" : "more";
    });
    cell.classList.add("has-long");
    cell.appendChild(toggle);
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

  /** The URL of a request's answer in the format ``name`` (for the download links). */
  function downloadHref(request, name) {
    if (request.api) {
      var params = new URLSearchParams(request.params);
      params.set("format", name);
      return request.url + "?" + params.toString();
    }
    return config.endpoint + "?" + new URLSearchParams({ query: request.query, format: name }).toString();
  }

  function showDownloads(request, formats) {
    var list = $("downloads").querySelector("ul");
    list.textContent = "";
    var stem = request.api ? request.name : "query";
    formats.forEach(function (name) {
      var filename = stem + "." + (config.extensions[name] || name);
      list.appendChild(el("li", {}, [el("a", { href: downloadHref(request, name),
        download: filename, title: filename, className: "download", "data-format": name,
        text: name })]));
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

  /* ---- curated examples and their parameters ------------------------------------------- */

  function normalize(text) { return text.replace(/\r\n?/g, "\n"); }

  /** True while the editor holds the loaded curated example's text unchanged. */
  function unedited() {
    return active !== null && normalize(editor.getValue()) === normalize(active.example.text);
  }

  function paramField(param) {
    var id = "param-" + param.name;
    var input = el("input", { id: id, name: param.name, type: param.input || "text",
      autocomplete: "off", spellcheck: "false", "data-type": param.type,
      "aria-describedby": id + "-help" });
    if (param.input === "number") input.setAttribute("step", "1");
    if (param.hint && param.input !== "date") input.setAttribute("placeholder", param.hint);
    if (param.required) input.setAttribute("required", "");
    input.value = param.default === null || param.default === undefined ? "" : param.default;
    var label = el("label", { for: id }, [el("code", { className: "param-name", text: param.name }),
      " ", el("span", { className: "param-type", text: param.type +
        (param.required ? ", required" : "") })]);
    var help = [param.description, param.default !== null && param.default !== undefined ?
      "default: " + (param.default === "" ? "empty" : param.default) : "no default"]
      .filter(Boolean).join("; ");
    if (!param.required) help += " (leave empty to leave it unbound)";
    var field = el("div", { className: "param-field" }, [label, input,
      el("small", { id: id + "-help", className: "muted", text: help })]);
    return { field: field, input: input };
  }

  /** Show how a loaded example runs, and the form of its parameters (null: none loaded). */
  function loadExample(example) {
    var fields = $("query-params-fields");
    fields.textContent = "";
    active = null;
    if (example && example.api && example.url) {
      active = { example: example, inputs: {} };
      (example.parameters || []).forEach(function (param) {
        var made = paramField(param);
        active.inputs[param.name] = made.input;
        fields.appendChild(made.field);
      });
      var legend = $("query-params-legend");
      legend.textContent = "";
      legend.appendChild(document.createTextNode("Parameters of "));
      legend.appendChild(el("a", { href: example.url, text: example.name }));
    }
    updateMode();
  }

  /** Say whether the editor's text runs as the named query or as a free query. */
  function updateMode() {
    var box = $("query-example");
    var mode = $("query-mode");
    var params = $("query-params");
    if (active === null) {
      box.hidden = true;
      return;
    }
    var example = active.example;
    var hasParams = (example.parameters || []).length > 0;
    var same = unedited();
    box.hidden = false;
    params.hidden = !hasParams;
    params.disabled = !same;
    box.classList.toggle("edited", !same);
    box.setAttribute("data-mode", same ? "api" : "sparql");
    mode.textContent = "";
    if (same) {
      mode.appendChild(document.createTextNode("Runs as the named query "));
      mode.appendChild(el("a", { href: example.url, text: example.url }));
      mode.appendChild(document.createTextNode(hasParams ?
        " with the parameters below, bound by the server as typed RDF terms." : "."));
    } else {
      mode.appendChild(document.createTextNode("You changed the text of “" + example.title +
        "”: it runs as a free query against " + config.endpoint +
        (hasParams ? ", and the parameters below are not used (their variables stay unbound). " :
          ". ")));
      var restore = el("button", { type: "button", id: "restore-example", className: "link-button",
        text: "Restore the example" });
      restore.addEventListener("click", function () {
        editor.setValue(example.text);
        updateMode();
      });
      mode.appendChild(restore);
    }
  }

  /** What the Run button sends now: a named query with its values, or the editor's text. */
  function currentRequest() {
    if (unedited()) {
      var example = active.example;
      var params = new URLSearchParams();
      var problems = [];
      (example.parameters || []).forEach(function (param) {
        var input = active.inputs[param.name];
        if (input.validity && input.validity.badInput) {
          problems.push("parameter '" + param.name + "': the value is not " + param.hint);
        }
        params.append(param.name, input.value);  /* an empty value leaves it unbound */
      });
      return { api: true, name: example.name, url: example.url, params: params.toString(),
        problems: problems };
    }
    return { api: false, query: editor.getValue(), problems: [] };
  }

  /* ---- running a query ------------------------------------------------------------------ */

  function send(request, signal) {
    if (request.api) {
      return fetch(request.url + (request.params ? "?" + request.params : ""), {
        method: "GET", headers: { "Accept": ACCEPT }, signal: signal });
    }
    return fetch(config.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": ACCEPT },
      body: request.query,
      signal: signal
    });
  }

  function run(request) {
    if (running) running.abort();
    clearOutput();
    if (request.problems.length) {
      running = null;
      $("run-query").disabled = false;
      showError("A parameter is not valid", request.problems.join("\n"));
      setStatus("Not sent.");
      return Promise.resolve();
    }
    var controller = new AbortController();
    running = controller;
    setStatus("Running…");
    $("run-query").disabled = true;
    var started = performance.now();
    var via = request.api ? " (named query " + request.name + ")" : "";
    return send(request, controller.signal).then(function (response) {
      return response.text().then(function (body) {
        if (controller !== running) return;
        var seconds = ((performance.now() - started) / 1000).toFixed(2);
        if (!response.ok) {
          var title = response.status === 400 ? (request.api ? "A parameter is not valid" :
            "The query has an error") :
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
            setStatus("ASK answered in " + seconds + " s" + via + ".");
          } else {
            var rows = data.results.bindings;
            results.appendChild(renderTable(data.head.vars, rows));
            showTruncation(response, rows.length);
            setStatus(rows.length + " rows in " + seconds + " s" + via + ".");
          }
          showDownloads(request, config.selectFormats);
        } else {
          var triples = parseNTriples(body);
          results.appendChild(renderTable(["subject", "predicate", "object"], triples));
          showTruncation(response, triples.length);
          setStatus(triples.length + " triples in " + seconds + " s" + via + ".");
          showDownloads(request, config.graphFormats);
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
      run(currentRequest());
    });
    $("query-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run(currentRequest());
      }
    });
    $("query-text").addEventListener("input", updateMode);
    Array.prototype.forEach.call(document.querySelectorAll("button.load-example"), function (button) {
      button.addEventListener("click", function () {
        var example = config.examples[Number(button.getAttribute("data-example"))];
        if (!example) return;
        editor.setValue(example.text);
        loadExample(example);
        /* With parameters, show their form (the results start below it); else the results. */
        var target = (example.parameters || []).length ? "query-example" : "results-heading";
        $(target).scrollIntoView({ block: "start" });
        run(currentRequest());
      });
    });
    /* For tests and the curious: the IRI-to-link mapping. */
    window.CitygraphQueryPage = { localPath: localPath };
    document.body.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
