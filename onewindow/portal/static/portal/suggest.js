/* Search suggestions as the visitor types (ARIA 1.2 combobox with a listbox popup).
   Enhances <input data-suggest="/api/v1/items/suggest"> inside a search form; without
   JavaScript the form still submits as it always did. No inline script or style (strict CSP). */
(function () {
  "use strict";

  var DELAY = 150;
  var MAX = 50; // the API takes at most 50 characters
  var counter = 0;

  function enhance(input) {
    var form = input.form;
    var url = input.getAttribute("data-suggest");
    if (!form || !url || !window.fetch) {
      return;
    }
    counter += 1;
    var listId = (input.id || "q") + "-suggestions-" + counter;

    var box = document.createElement("div");
    box.className = "suggest";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "搜索提示");
    list.hidden = true;
    box.appendChild(list);

    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    box.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var timer = null;
    var pending = null;
    var active = -1;
    var lastQuery = "";

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) {
        return;
      }
      if (index < 0) {
        index = opts.length - 1;
      } else if (index >= opts.length) {
        index = 0;
      }
      for (var i = 0; i < opts.length; i += 1) {
        opts[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      input.setAttribute("aria-activedescendant", opts[index].id);
      opts[index].scrollIntoView({ block: "nearest" });
    }

    function choose(text) {
      input.value = text;
      close();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    function show(words) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!words.length) {
        close();
        status.textContent = "";
        return;
      }
      words.forEach(function (word, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = word;
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
        });
        li.addEventListener("click", function () {
          choose(word);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = "有 " + words.length + " 条提示，按上下方向键选择，回车确认";
    }

    function fetchSuggestions() {
      var query = input.value.trim().slice(0, MAX);
      if (query === lastQuery) {
        return;
      }
      lastQuery = query;
      if (pending) {
        pending.abort();
        pending = null;
      }
      if (!query) {
        show([]);
        return;
      }
      pending = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending ? pending.signal : undefined
      })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(function (words) {
          if (input.value.trim().slice(0, MAX) !== query) {
            return; // the visitor has typed on
          }
          show(Array.isArray(words) ? words.filter(function (w) {
            return typeof w === "string";
          }) : []);
        })
        .catch(function () {
          /* aborted or offline: the plain search still works */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "Down") {
        event.preventDefault();
        if (!open && options().length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight(active + 1);
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        event.preventDefault();
        if (open) {
          highlight(active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(options()[active].textContent);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (open) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < inputs.length; i += 1) {
      enhance(inputs[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
