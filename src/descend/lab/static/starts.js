/* The many-starts page: random restarts or simulated annealing, every path and the minima. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { fmt, vec, COLORS } = Lab;

  function body() {
    const custom = $("fn").value === "custom";
    const b = { function: custom ? $("custom").value : $("fn").value, method: $("method").value,
                n_starts: Number($("k").value), steps: Number($("steps").value), seed: Number($("seed").value) };
    if (custom && $("domain").value.trim()) {
      b.domain = $("domain").value.split(",").map((p) => p.trim().split(/\s+/).map(Number));
    }
    if (b.method === "restarts") b.optimizer = { name: $("opt").value, lr: Number($("lr").value) };
    else b.annealing = { lr: Number($("alr").value), temperature: Number($("temp").value),
                         cooling: Number($("cool").value), noise: Number($("noise").value) };
    return b;
  }

  function modes() {
    const custom = $("fn").value === "custom";
    $("custom").style.display = custom ? "" : "none";
    $("domain").style.display = custom ? "" : "none";
    const annealing = $("method").value === "annealing";
    $("restart-opts").style.display = annealing ? "none" : "";
    $("anneal-opts").style.display = annealing ? "" : "none";
  }

  async function run() {
    const b = body();
    Lab.writeState(b);
    $("run").disabled = true;
    try {
      const r = await Lab.post("/api/starts", b);
      Lab.showError($("error"), null);
      draw(r);
    } catch (err) {
      Lab.showError($("error"), err, b.function);
    } finally { $("run").disabled = false; }
  }

  function draw(r) {
    const s = r.surface;
    const traces = [];
    const layout = { ...Lab.layoutBase, showlegend: false,
      title: { text: `${r.title || r.function}: ${r.runs.length} ${r.method === "restarts" ? "restarts" : "annealing runs"}, seed ${r.seed}`, font: { size: 13 } } };
    if (r.n === 2) {
      traces.push({ type: "contour", x: s.x, y: s.y, z: Lab.shade(s.z, true), showscale: false, colorscale: "Greys",
                    reversescale: true, ncontours: 30, hoverinfo: "skip", opacity: 0.6 });
      r.runs.forEach((run, i) => traces.push({ x: run.path.map((q) => q[0]), y: run.path.map((q) => q[1]),
        mode: "lines", line: { width: 1.2, color: COLORS[i % COLORS.length] }, hoverinfo: "skip" }));
      traces.push({ x: r.runs.map((q) => q.start[0]), y: r.runs.map((q) => q.start[1]), mode: "markers",
                    marker: { size: 6, color: "#fff", line: { color: "#333", width: 1 } }, name: "starts" });
      traces.push({ x: r.runs.map((q) => q.end[0]), y: r.runs.map((q) => q.end[1]), mode: "markers",
                    marker: { size: 9, symbol: "x", color: "#d1495b" }, name: "ends" });
      layout.xaxis = { range: s.box[0], title: { text: r.variables[0] } };
      layout.yaxis = { range: s.box[1], title: { text: r.variables[1] } };
    } else if (r.n === 1) {
      traces.push({ x: s.x, y: s.z, mode: "lines", line: { color: "#999" } });
      r.runs.forEach((run, i) => traces.push({ x: run.path.map((q) => q[0]), y: run.path_fun, mode: "lines+markers",
        line: { width: 1, color: COLORS[i % COLORS.length] }, marker: { size: 3 }, hoverinfo: "skip" }));
      traces.push({ x: r.runs.map((q) => q.path[0][0]), y: r.runs.map((q) => q.path_fun[0]), mode: "markers", name: "starts",
                    marker: { size: 8, color: "#fff", line: { color: "#333", width: 1 } } });
      traces.push({ x: r.runs.map((q) => q.end[0]), y: r.runs.map((q) => q.fun), mode: "markers", name: "ends",
                    marker: { size: 11, symbol: "x", color: "#d1495b" } });
      layout.xaxis = { range: s.box[0], title: { text: r.variables[0] } };
    }
    Plotly.react("map", traces, layout, Lab.config);
    const total = r.runs.length;
    $("found").innerHTML = `<div class="tablebox"><table class="steps"><thead><tr><th>point (rounded to ${r.decimals} decimals)</th><th>mean J there</th><th>runs</th><th>share</th></tr></thead><tbody>` +
      r.found.map((f) => `<tr><td>${vec(f.x)}</td><td>${fmt(f.fun)}</td><td>${f.count}</td><td>${fmt(100 * f.count / total)}%</td></tr>`).join("") +
      `</tbody></table></div><p class="small">Best: ${vec(r.best.x)} with J = ${fmt(r.best.fun)} (run ${r.best.index + 1}).` +
      (r.minima && r.minima.length ? ` Known global minima: ${r.minima.map(vec).join(", ")}.` : "") +
      ` Diverged: ${r.runs.filter((q) => q.status === "diverged").length}.</p>`;
    Plotly.react("hist", [{ type: "histogram", x: r.runs.map((q) => q.fun), marker: { color: "#2457c5" }, nbinsx: 30 }],
      { ...Lab.layoutBase, showlegend: false, title: { text: "J at the end of each run", font: { size: 13 } } }, Lab.config);
  }

  const state = Lab.readState();
  if (state) {
    const known = [...$("fn").options].some((o) => o.value === state.function);
    $("fn").value = known ? state.function : "custom";
    if (!known) { $("custom").value = state.function; if (state.domain) $("domain").value = state.domain.map((p) => p.join(" ")).join(", "); }
    $("method").value = state.method; $("k").value = state.n_starts; $("steps").value = state.steps; $("seed").value = state.seed;
    if (state.optimizer) { $("opt").value = state.optimizer.name; $("lr").value = state.optimizer.lr; }
    if (state.annealing) { $("alr").value = state.annealing.lr; $("temp").value = state.annealing.temperature;
                           $("cool").value = state.annealing.cooling; $("noise").value = state.annealing.noise; }
  }
  for (const id of ["fn", "method"]) $(id).addEventListener("change", modes);
  $("fn").addEventListener("change", () => { if ($("fn").value !== "custom") run(); });
  $("run").addEventListener("click", run);
  $("share").addEventListener("click", async () => {
    Lab.writeState(body());
    try { await navigator.clipboard.writeText(location.href); $("shared").textContent = "link copied"; }
    catch (e) { $("shared").textContent = location.href; }
  });
  modes();
  run();
})();
