/* citygraph SPARQL editor: a textarea with a syntax-highlighted layer underneath.
 *
 * The textarea keeps every native behaviour (typing, selection, undo, screen readers); its text
 * is transparent and a <pre> behind it shows the same text, tokenised and coloured. No
 * dependencies, no build step. Licence: MIT (the citygraph code licence).
 */
(function (global) {
  "use strict";

  var KEYWORDS = [
    "BASE", "PREFIX", "SELECT", "CONSTRUCT", "DESCRIBE", "ASK", "DISTINCT", "REDUCED", "FROM",
    "NAMED", "WHERE", "ORDER", "BY", "ASC", "DESC", "LIMIT", "OFFSET", "VALUES", "OPTIONAL",
    "GRAPH", "SERVICE", "SILENT", "BIND", "AS", "UNION", "MINUS", "FILTER", "EXISTS", "NOT", "IN",
    "GROUP", "HAVING", "UNDEF", "TRUE", "FALSE", "INSERT", "DELETE", "DATA", "LOAD", "CLEAR",
    "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING", "DEFAULT", "ALL", "INTO", "TO"
  ];
  var FUNCTIONS = [
    "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS",
    "CEIL", "FLOOR", "ROUND", "CONCAT", "STRLEN", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS",
    "STRSTARTS", "STRENDS", "STRBEFORE", "STRAFTER", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES",
    "SECONDS", "TIMEZONE", "TZ", "NOW", "UUID", "STRUUID", "MD5", "SHA1", "SHA256", "SHA384",
    "SHA512", "COALESCE", "IF", "STRLANG", "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK",
    "ISLITERAL", "ISNUMERIC", "REGEX", "SUBSTR", "REPLACE", "COUNT", "SUM", "MIN", "MAX", "AVG",
    "SAMPLE", "GROUP_CONCAT", "SEPARATOR"
  ];
  var KEYWORD_SET = {};
  KEYWORDS.forEach(function (k) { KEYWORD_SET[k] = "keyword"; });
  FUNCTIONS.forEach(function (k) { KEYWORD_SET[k] = "function"; });

  var PN_CHARS_BASE = "A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D" +
    "\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF" +
    "\\uFDF0-\\uFFFD";
  var PN_CHARS = PN_CHARS_BASE + "_0-9\\-\\u00B7\\u0300-\\u036F\\u203F-\\u2040";

  /* Token rules, tried in order at each position; the first match wins. */
  var RULES = [
    ["space", /\s+/y],
    ["comment", /#[^\n]*/y],
    ["string", /"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?/y],
    ["iri", /<[^<>"{}|^`\\\s]*>/y],
    ["variable", new RegExp("[?$][" + PN_CHARS_BASE + "_0-9][" + PN_CHARS_BASE +
                            "_0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*", "y")],
    ["langtag", /@[A-Za-z]+(?:-[A-Za-z0-9]+)*/y],
    ["prefixed", new RegExp("(?:[" + PN_CHARS_BASE + "](?:[" + PN_CHARS + ".]*[" + PN_CHARS +
                            "])?)?:(?:(?:[" + PN_CHARS + ".:%]|\\\\.)*(?:[" + PN_CHARS +
                            ":%]|\\\\.))?", "y")],
    ["blank", /_:[A-Za-z0-9_][A-Za-z0-9_.\-]*/y],
    ["number", /[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/y],
    ["word", /[A-Za-z_][A-Za-z0-9_]*/y],
    ["operator", /\^\^|&&|\|\||!=|<=|>=|[=<>!+\-*\/^|]/y],
    ["punctuation", /[{}()\[\].,;]/y],
    ["other", /[\s\S]/y]
  ];

  /** Split SPARQL text into [type, text] tokens; concatenated they give back the text. */
  function tokenize(text) {
    var tokens = [];
    var pos = 0;
    while (pos < text.length) {
      for (var i = 0; i < RULES.length; i++) {
        var rule = RULES[i][1];
        rule.lastIndex = pos;
        var match = rule.exec(text);
        if (match && match[0].length > 0) {
          var type = RULES[i][0];
          var value = match[0];
          if (type === "word") {
            var upper = value.toUpperCase();
            type = KEYWORD_SET[upper] || (value === "a" ? "keyword" : "word");
          }
          tokens.push([type, value]);
          pos += value.length;
          break;
        }
      }
    }
    return tokens;
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /** The highlighted HTML of SPARQL text (spans with class tok-<type>). */
  function highlight(text) {
    return tokenize(text).map(function (token) {
      var type = token[0];
      var value = escapeHtml(token[1]);
      if (type === "space" || type === "other" || type === "word") return value;
      return '<span class="tok-' + type + '">' + value + "</span>";
    }).join("");
  }

  /** Make a textarea inside .sparql-editor a highlighting editor; returns its controller. */
  function attach(textarea) {
    var container = textarea.closest(".sparql-editor");
    var layer = container.querySelector(".sparql-highlight code");
    var pre = container.querySelector(".sparql-highlight");
    container.classList.add("sparql-editor-active");

    function render() {
      /* A trailing newline needs a character after it to be shown in a <pre>. */
      layer.innerHTML = highlight(textarea.value) + "\n ";
      syncScroll();
    }
    function syncScroll() {
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
    }
    textarea.addEventListener("input", render);
    textarea.addEventListener("scroll", syncScroll);
    render();
    return {
      textarea: textarea,
      getValue: function () { return textarea.value; },
      setValue: function (value) { textarea.value = value; render(); textarea.scrollTop = 0; },
      refresh: render
    };
  }

  global.CitygraphSparql = { tokenize: tokenize, highlight: highlight, attach: attach };
})(window);
