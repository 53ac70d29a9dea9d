// Draws the capacity check charts from the JSON data island; the table beside each chart has the same figures.
(function () {
  function draw() {
    const island = document.getElementById("capacity-data");
    if (!island || typeof window.Chart === "undefined") return;
    const data = JSON.parse(island.textContent);
    document.querySelectorAll("canvas[data-capacity-chart]").forEach((canvas) => {
      const series = data.series[canvas.dataset.capacityChart];
      if (!series || canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        data: {
          labels: data.labels,
          datasets: [
            { type: "line", label: "Capacity", data: series.capacity, borderColor: "#c62828", backgroundColor: "#c62828", stepped: "middle", pointRadius: 0, borderWidth: 2 },
            { type: "bar", label: "Load without this deal", data: series.without, backgroundColor: "#8c959f" },
            { type: "bar", label: "Load with this deal", data: series.with, backgroundColor: "#0969da" },
            { type: "line", label: "With tentative load of other deals", data: series.tentative, borderColor: "#9a6700", backgroundColor: "#9a6700", borderDash: [6, 4], pointRadius: 2, borderWidth: 2 },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {
            y: { beginAtZero: true, title: { display: true, text: "Person-days" } },
            x: { title: { display: true, text: "ISO week" } },
          },
          plugins: { legend: { position: "bottom" } },
        },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);
})();
