// Typeset the math pymdownx.arithmatex (generic mode) wraps in `.arithmatex` elements:
// \( ... \) inline and \[ ... \] display. Material swaps page content in place with
// navigation.instant, so this runs on every page change through its `document$` stream
// when present, and once on load otherwise.
(function () {
  function typeset() {
    document.querySelectorAll(".arithmatex").forEach(function (element) {
      renderMathInElement(element, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        throwOnError: true,
      });
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(typeset);
  } else {
    document.addEventListener("DOMContentLoaded", typeset);
  }
})();
