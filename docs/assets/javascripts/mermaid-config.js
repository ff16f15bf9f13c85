// Material initialises the global `mermaid` itself (theme CSS, fonts). Flowcharts would then
// shrink to the content column's width, which leaves a model's wide left-to-right chart an
// unreadable strip; drawn at its natural size instead, the chart scrolls sideways in its box
// (extra.css). Loaded after mermaid.min.js and before Material renders any diagram.
(function () {
  if (typeof mermaid === "undefined") {
    return;
  }
  var initialize = mermaid.initialize.bind(mermaid);
  mermaid.initialize = function (config) {
    var settings = Object.assign({}, config);
    settings.flowchart = Object.assign({ useMaxWidth: false }, settings.flowchart);
    return initialize(settings);
  };
})();
