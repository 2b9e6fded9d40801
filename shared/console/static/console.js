// CodeLink 运营后台: draws the dashboard's charts from the JSON options the server rendered next to each box
// (<div data-chart="id"> + <script type="application/json" id="id">), on load and after htmx swaps. No inline
// scripts anywhere: the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";
  var drawn = [];

  function initCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (box) {
      if (box.getAttribute("data-ready")) { return; }
      var source = document.getElementById(box.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(source.textContent));
      box.setAttribute("data-ready", "1");
      drawn.push(chart);
    });
    document.body.setAttribute("data-charts", String(drawn.length));
  }

  // A form sent again starts without the refusal it got last time (its box is `#<form id>-errors`).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var id = event.detail.elt && event.detail.elt.id;
    var box = id ? document.getElementById(id + "-errors") : null;
    if (box) { box.innerHTML = ""; }
  });

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initCharts(event.target); });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
})();
