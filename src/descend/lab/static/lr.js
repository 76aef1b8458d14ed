/* The learning-rate page: one function, three learning rates, redrawn as a slider moves. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { fmt, COLORS } = Lab;
  const NAMES = ["too small", "right", "too large"];
  let lrs = [0.02, 0.3, 1.5], pending = null, busy = false;

  function sliders() {
    $("sliders").innerHTML = NAMES.map((n, i) => `<div class="lrbox" style="--c:${COLORS[i]};margin:10px 0">
      <label for="s${i}">${n}: α = <span id="v${i}">${fmt(lrs[i])}</span></label>
      <input id="s${i}" type="range" min="-4" max="0.6" step="0.01" value="${Math.log10(lrs[i])}"></div>`).join("");
    NAMES.forEach((_, i) => $(`s${i}`).addEventListener("input", () => {
      lrs[i] = Number(Math.pow(10, Number($(`s${i}`).value)).toPrecision(3));
      $(`v${i}`).textContent = fmt(lrs[i]);
      schedule();
    }));
    $("panels").innerHTML = NAMES.map((_, i) => `<div><div id="p${i}" class="plot"></div><div id="c${i}" class="chips"></div></div>`).join("");
  }

  function body() {
    return { function: $("fn").value, x0: $("x0").value.split(/[,\s]+/).filter((s) => s).map(Number),
             steps: Number($("steps").value),
             optimizers: lrs.map((lr, i) => ({ name: $("opt").value, lr, label: NAMES[i] })) };
  }

  function schedule() { clearTimeout(pending); pending = setTimeout(run, 60); }

  async function run() {
    if (busy) { schedule(); return; }
    busy = true;
    const b = body();
    Lab.writeState(b);
    try {
      const r = await Lab.post("/api/race", b);
      Lab.showError($("error"), null);
      draw(r);
    } catch (err) {
      Lab.showError($("error"), err, b.function);
    } finally { busy = false; }
  }

  function draw(r) {
    const box = $("formula");
    box.innerHTML = "";
    if (r.latex.f) Lab.tex(box, `J = ${r.latex.f},\\quad \\nabla J = (${r.latex.gradient.join(",\\ ")})`);
    const s = r.surface;
    r.runs.forEach((run, i) => {
      const c = COLORS[i];
      const layout = { ...Lab.layoutBase, showlegend: false,
                       title: { text: `${NAMES[i]}: α = ${fmt(run.settings.lr)}`, font: { size: 13 } } };
      let traces;
      if (r.n === 1) {
        traces = [{ x: s.x, y: s.z, mode: "lines", line: { color: "#aaa" } },
                  { x: run.x.map((q) => q[0]), y: run.loss, mode: "lines+markers", line: { color: c }, marker: { size: 5 } }];
        // each panel frames its own path (and the start's mirror image), inside the curve's box
        const xs = run.x.map((q) => q[0]).filter((v) => v !== null && v >= s.box[0][0] && v <= s.box[0][1]);
        const a = Math.abs(r.x0[0]) || 1;
        let lo = Math.min(-a, ...xs), hi = Math.max(a, ...xs);
        const pad = 0.08 * (hi - lo); lo -= pad; hi += pad;
        const ys = s.z.filter((v, j) => v !== null && s.x[j] >= lo && s.x[j] <= hi);
        const ypad = 0.05 * (Math.max(...ys) - Math.min(...ys) || 1);
        layout.xaxis = { range: [lo, hi], title: { text: r.variables[0] } };
        layout.yaxis = { range: [Math.min(...ys) - ypad, Math.max(...ys) + ypad], title: { text: "J" } };
      } else if (r.n === 2) {
        traces = [{ type: "contour", x: s.x, y: s.y, z: s.z, showscale: false, colorscale: "Viridis", ncontours: 25, hoverinfo: "skip" },
                  { x: run.x.map((q) => q[0]), y: run.x.map((q) => q[1]), mode: "lines+markers", line: { color: "#fff" }, marker: { size: 4, color: c } }];
        layout.xaxis = { range: s.box[0] }; layout.yaxis = { range: s.box[1] };
      } else traces = [];
      Plotly.react(`p${i}`, traces, layout, Lab.config);
      $(`c${i}`).innerHTML = `<span class="chip ${run.status}"><b>${run.status}</b> ${run.message}</span>`;
    });
    Plotly.react("loss", r.runs.map((run, i) => ({ name: `${NAMES[i]} (α = ${fmt(run.settings.lr)})`,
      y: run.loss, x: run.loss.map((_, t) => t), mode: "lines", line: { color: COLORS[i] } })),
      { ...Lab.layoutBase, title: { text: "J against step", font: { size: 13 } },
        yaxis: { type: r.runs.every((q) => q.loss.every((v) => v === null || v > 0)) ? "log" : "linear" } }, Lab.config);
  }

  const state = Lab.readState();
  if (state) {
    $("fn").value = state.function; $("x0").value = state.x0.join(", "); $("steps").value = state.steps;
    $("opt").value = state.optimizers[0].name; lrs = state.optimizers.map((o) => o.lr);
  }
  sliders();
  for (const id of ["fn", "x0", "steps", "opt"]) $(id).addEventListener("change", schedule);
  run();
})();
