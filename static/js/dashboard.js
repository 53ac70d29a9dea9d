// Draws each dashboard chart from its JSON data island; the table behind each chart's toggle holds the same data.
(() => {
  const palette = ["#0a6ebd", "#c75000", "#1a7f37", "#8250df", "#bf3989", "#59636e"];

  function formatTick(unit) {
    return (value) => (unit === "percent" ? `${value} %` : value);
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    const spec = JSON.parse(source.textContent);
    const round = spec.type === "doughnut";
    const datasets = spec.datasets.map((dataset, index) => ({
      label: dataset.label,
      data: dataset.data,
      type: round ? undefined : dataset.kind,
      backgroundColor: round ? palette : palette[index % palette.length],
      borderColor: round ? "#fff" : palette[index % palette.length],
      borderWidth: dataset.kind === "line" ? 2 : 1,
      stack: spec.stacked && dataset.kind !== "line" ? "load" : undefined,
      order: dataset.kind === "line" ? 0 : 1,
    }));
    const scales = round
      ? {}
      : {
          x: { stacked: spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: {
            beginAtZero: true,
            stacked: spec.stacked,
            ticks: { callback: formatTick(spec.unit), maxTicksLimit: 6 },
          },
        };
    new window.Chart(canvas, {
      type: round ? "doughnut" : spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales,
        plugins: {
          legend: {
            display: round || datasets.length > 1,
            position: round ? "right" : "top",
            labels: { boxWidth: 12, font: { size: 11 } },
          },
        },
      },
    });
  }

  function drawAll() {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (!window.Chart.getChart(canvas)) {
        draw(canvas);
      }
    });
  }

  // A new range or team swaps the figures in with htmx: draw the charts that came with them.
  document.addEventListener("htmx:afterSettle", drawAll);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
