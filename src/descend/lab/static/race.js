/* The race page: the form, the request to /api/race, and the drawing of its answer. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { fmt, vec, COLORS } = Lab;
  let OPTIMIZERS = {}, SCHEDULES = {}, FUNCTIONS = [], race = null, frame = 0, timer = null;
  const KEYS = { sgd: [], momentum: ["beta"], nesterov: ["beta"], adagrad: ["eps"],
                 rmsprop: ["beta", "eps", "momentum"], adam: ["beta1", "beta2", "eps"],
                 amsgrad: ["beta1", "beta2", "eps"], adamw: ["beta1", "beta2", "eps"] };

  function optRow(spec) {
    const div = document.createElement("div");
    div.className = "opt";
    const names = Object.keys(OPTIMIZERS).map((n) => `<option>${n}</option>`).join("");
    const schedules = Object.keys(SCHEDULES).filter((n) => n !== "constant")
      .map((n) => `<option>${n}</option>`).join("");
    div.innerHTML = `
      <div class="row"><select class="name">${names}</select>
        <input class="lr" type="number" step="any" title="learning rate α">
        <button class="remove" title="remove">✕</button></div>
      <details><summary>betas, eps, weight decay, schedule, clipping</summary>
        <div class="grid2 params"></div>
        <div class="grid2">
          <label>weight decay λ<input class="wd" type="number" step="any" placeholder="0"></label>
          <label>schedule<select class="sched"><option value="">constant</option>${schedules}</select></label>
          <label>schedule parameter<input class="sparam" type="text" placeholder="gamma=0.99"></label>
          <label>clip ∇J<select class="clip"><option value="">no</option><option value="value">each component</option><option value="norm">norm</option></select></label>
          <label>clip at<input class="clipmax" type="number" step="any" placeholder="1"></label>
        </div></details>`;
    const name = div.querySelector(".name");
    name.value = spec.name || "sgd";
    if (spec.label) div.dataset.label = spec.label;
    div.querySelector(".lr").value = spec.lr ?? OPTIMIZERS[name.value].hyperparameters.lr;
    const params = () => {
      const box = div.querySelector(".params");
      box.innerHTML = KEYS[name.value].map((k) =>
        `<label>${k}<input data-k="${k}" type="number" step="any" value="${spec[k] ?? OPTIMIZERS[name.value].hyperparameters[k]}"></label>`).join("");
    };
    name.addEventListener("change", () => {
      spec = { name: name.value }; delete div.dataset.label; params(); colour();
    });
    params();
    if (spec.weight_decay !== undefined) div.querySelector(".wd").value = spec.weight_decay;
    if (spec.schedule) {
      div.querySelector(".sched").value = spec.schedule.name;
      div.querySelector(".sparam").value = Object.entries(spec.schedule)
        .filter(([k]) => k !== "name").map(([k, v]) => `${k}=${v}`).join(", ");
    }
    if (spec.clip) { div.querySelector(".clip").value = spec.clip.kind; div.querySelector(".clipmax").value = spec.clip.max; }
    div.querySelector(".remove").addEventListener("click", () => { div.remove(); colour(); });
    $("opts").appendChild(div);
    colour();
  }

  function colour() {
    [...$("opts").children].forEach((d, i) => d.style.setProperty("--c", COLORS[i % COLORS.length]));
  }

  function readOpt(div) {
    const spec = { name: div.querySelector(".name").value, lr: Number(div.querySelector(".lr").value) };
    if (div.dataset.label) spec.label = div.dataset.label;
    for (const inp of div.querySelectorAll(".params input")) {
      const d = OPTIMIZERS[spec.name].hyperparameters[inp.dataset.k];
      if (inp.value !== "" && Number(inp.value) !== d) spec[inp.dataset.k] = Number(inp.value);
    }
    const wd = div.querySelector(".wd").value;
    if (wd !== "" && Number(wd) !== 0) spec.weight_decay = Number(wd);
    const sched = div.querySelector(".sched").value;
    if (sched) {
      spec.schedule = { name: sched };
      for (const part of div.querySelector(".sparam").value.split(/[,;]\s*/)) {
        const [k, v] = part.split("=").map((s) => s && s.trim());
        if (!k) continue;
        spec.schedule[k] = v.includes(" ") || k === "milestones" ? v.split(/\s+/).map(Number) : Number(v);
      }
    }
    const clip = div.querySelector(".clip").value;
    if (clip) spec.clip = { kind: clip, max: Number(div.querySelector(".clipmax").value || 1) };
    return spec;
  }

  function readForm() {
    return {
      function: $("fn").value,
      x0: $("x0").value.split(/[,\s]+/).filter((s) => s !== "").map(Number),
      steps: Number($("steps").value),
      optimizers: [...$("opts").children].map(readOpt),
    };
  }

  function fillForm(state) {
    $("fn").value = state.function;
    $("x0").value = (state.x0 || []).join(", ");
    $("steps").value = state.steps || 50;
    $("opts").innerHTML = "";
    (state.optimizers || []).forEach(optRow);
  }

  async function run() {
    const body = readForm();
    Lab.writeState(body);
    $("run").disabled = true;
    Lab.showError($("error"), null);
    try {
      race = await Lab.post("/api/race", body);
      showFormula(race);
      drawAll();
    } catch (err) {
      Lab.showError($("error"), err, body.function);
      $("formula").innerHTML = "";
    } finally {
      $("run").disabled = false;
    }
  }

  function showFormula(r) {
    const box = $("formula");
    box.innerHTML = "";
    const v = r.variables;
    const lines = [];
    if (r.latex.f) lines.push(`J(${v.join(", ")}) = ${r.latex.f}`);
    else if (r.formula) lines.push(`J = \\text{${r.formula}}`);
    r.latex.gradient.forEach((g, i) => lines.push(`\\frac{\\partial J}{\\partial ${v[i]}} = ${g}`));
    for (const line of lines) { const d = document.createElement("div"); Lab.tex(d, line); box.appendChild(d); }
  }

  const last = () => Math.max(...race.runs.map((r) => r.x.length - 1));

  function drawAll() {
    stop();
    $("scrub").max = last();
    frame = last();
    $("which").innerHTML = race.runs.map((r, i) => `<option value="${i}">${i + 1}. ${r.label} (α = ${fmt(r.settings.lr)})</option>`).join("");
    drawSurfaces();
    drawLoss();
    chips();
    show(frame);
  }

  function pathTraces(k, three) {
    return race.runs.map((r, i) => {
      const p = r.x.slice(0, k + 1);
      const c = COLORS[i % COLORS.length];
      const t = { name: r.label, mode: "lines+markers", line: { color: c, width: 2 },
                  marker: { size: 4, color: c }, x: p.map((q) => q[0]) };
      if (race.n === 1) { t.y = r.loss.slice(0, k + 1); return t; }
      t.y = p.map((q) => q[1]);
      if (three) {  // the surface's own z range: a diverging run leaves the plot, not rescales it
        const [lo, hi] = zRange(race.surface.z);
        t.type = "scatter3d"; t.marker.size = 3;
        const [bx, by] = race.surface.box;
        const inside = (q) => q[0] >= bx[0] && q[0] <= bx[1] && q[1] >= by[0] && q[1] <= by[1];
        t.z = r.loss.slice(0, k + 1).map((v, j) =>
          (v === null || v < lo || v > hi || !inside(p[j]) ? null : v));
      }
      return t;
    });
  }

  function drawSurfaces() {
    const s = race.surface;
    const title = race.n === 1 ? `J(${race.variables[0]})` : `contour of J, click to set θ₀`;
    if (!s) {
      Plotly.react("contour", [], { ...Lab.layoutBase, title: { text: "no plot above two variables" } }, Lab.config);
      Plotly.purge("surface");
      return;
    }
    const layout = { ...Lab.layoutBase, title: { text: title, font: { size: 13 } },
                     xaxis: { title: { text: race.variables[0] }, range: s.box[0] } };
    if (race.n === 1) {
      const curve = { x: s.x, y: s.z, mode: "lines", name: "J", line: { color: "#999" } };
      Plotly.react("contour", [curve, ...pathTraces(frame)], layout, Lab.config);
      Plotly.react("surface", race.runs.map((r, i) => ({ x: r.x.map((_, t) => t), y: r.x.map((q) => q[0]),
        name: r.label, line: { color: COLORS[i % COLORS.length] } })),
        { ...Lab.layoutBase, title: { text: `${race.variables[0]} against step`, font: { size: 13 } } }, Lab.config);
    } else {
      const log = bigRange(s.z);
      const contour = { type: "contour", x: s.x, y: s.y, z: Lab.shade(s.z, log), ncontours: 30,
                        colorscale: "Viridis", showscale: false, name: "J", hoverinfo: "skip",
                        contours: { coloring: "heatmap" }, opacity: 0.85 };
      layout.yaxis = { title: { text: race.variables[1] }, range: s.box[1], scaleanchor: undefined };
      const marks = (race.minima || []).map((m) => m);
      const minima = { x: marks.map((m) => m[0]), y: marks.map((m) => m[1]), mode: "markers", name: "minima",
                       marker: { symbol: "star", size: 12, color: "#fff", line: { color: "#000", width: 1 } } };
      Plotly.react("contour", [contour, minima, ...pathTraces(frame)], layout, Lab.config);
      const surf = { type: "surface", x: s.x, y: s.y, z: s.z, colorscale: "Viridis", showscale: false,
                     opacity: 0.8, name: "J", hoverinfo: "skip",
                     surfacecolor: Lab.shade(s.z, log) };
      Plotly.react("surface", [surf, ...pathTraces(frame, true)],
        { ...Lab.layoutBase, title: { text: "J(x, y), drag to rotate", font: { size: 13 } },
          scene: { xaxis: { title: { text: race.variables[0] }, range: s.box[0] },
                   yaxis: { title: { text: race.variables[1] }, range: s.box[1] },
                   zaxis: { title: { text: "J" }, range: zRange(s.z) } } }, Lab.config);
      const plot = $("contour");
      plot.removeAllListeners && plot.removeAllListeners("plotly_click");
    }
  }

  function zRange(z) {
    let lo = Infinity, hi = -Infinity;
    for (const row of z) for (const v of row) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return [lo, hi];
  }

  function bigRange(z) {
    let lo = Infinity, hi = -Infinity;
    for (const row of z) for (const v of row) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return hi - lo > 1000;
  }

  function drawLoss() {
    const traces = race.runs.map((r, i) => ({ name: r.label, x: r.loss.map((_, t) => t), y: r.loss,
      mode: "lines", line: { color: COLORS[i % COLORS.length] } }));
    const positive = race.runs.every((r) => r.loss.every((v) => v === null || v > 0));
    Plotly.react("loss", traces, { ...Lab.layoutBase, title: { text: "J against step", font: { size: 13 } },
      xaxis: { title: { text: "step t" } }, yaxis: { type: positive ? "log" : "linear", title: { text: "J(θ_t)" } },
      shapes: [] }, Lab.config);
  }

  function chips() {
    $("runs").innerHTML = race.runs.map((r, i) =>
      `<span class="chip ${r.status}" style="--c:${COLORS[i % COLORS.length]}" title="${r.message}"><b>${r.label}</b> ${r.status}: ${r.message}</span>`).join("");
  }

  function show(k) {
    frame = Math.max(0, Math.min(k, last()));
    $("scrub").value = frame;
    $("frame").textContent = `step ${frame} / ${last()}`;
    if (race.surface) {
      const idx = race.runs.map((_, i) => i + (race.n === 1 ? 1 : 2));
      const paths = pathTraces(frame);
      Plotly.restyle("contour", { x: paths.map((p) => p.x), y: paths.map((p) => p.y) }, idx);
      if (race.n === 2) {
        const p3 = pathTraces(frame, true);
        Plotly.restyle("surface", { x: p3.map((p) => p.x), y: p3.map((p) => p.y), z: p3.map((p) => p.z) },
                       race.runs.map((_, i) => i + 1));
      }
    }
    Plotly.relayout("loss", { shapes: [{ type: "line", x0: frame, x1: frame, yref: "paper", y0: 0, y1: 1,
                                         line: { color: "#999", dash: "dot" } }] });
    table();
  }

  function table() {
    const r = race.runs[Number($("which").value || 0)];
    const rule = OPTIMIZERS[r.name] ? OPTIMIZERS[r.name].rule : "";
    $("rule").textContent = `${r.label}: ${rule}` + (r.settings.clip ? `  ∇J clipped (${r.settings.clip.kind}, ${r.settings.clip.max}) first.` : "")
      + (r.settings.weight_decay && r.name !== "adamw" ? `  λθ added to ∇J (λ = ${r.settings.weight_decay}).` : "");
    const k = Math.min(frame, r.steps.length);
    const row = r.steps[Math.max(k, 1) - 1];
    if (row) {
      const state = Object.entries(row.state).map(([n, v]) => `${n} = ${vec(v)}`).join(",  ");
      let how = `Δθ = ${vec(row.step)}`;
      if (r.name === "sgd" && !r.settings.clip && !r.settings.weight_decay) how = `Δθ = −α∇J = −${fmt(row.lr)}·${vec(row.grad)} = ${vec(row.step)}`;
      $("filled").textContent = `step ${row.t}:  θ = ${vec(row.theta)},  ∇J(θ) = ${vec(row.grad)},  α = ${fmt(row.lr)}` +
        (state ? `,  ${state}` : "") + `\n${how};  θ ← θ + Δθ = ${vec(row.theta_next)};  effective lr −Δθ/∇J = ${vec(row.effective_lr)}`;
    } else {
      $("filled").textContent = `the run stopped before its first step: ${r.message}`;
    }
    const names = r.steps.length ? Object.keys(r.steps[0].state) : [];
    const head = ["t", "θ", "J(θ)", "∇J(θ)", ...names, "α", "Δθ", "effective lr", "θ next"];
    const rows = r.steps.map((s, i) => `<tr class="${s.t === k ? "current" : ""}"><td>${s.t}</td><td>${vec(s.theta)}</td><td>${fmt(r.loss[i])}</td><td>${vec(s.grad)}</td>` +
      names.map((n) => `<td>${vec(s.state[n])}</td>`).join("") +
      `<td>${fmt(s.lr)}</td><td>${vec(s.step)}</td><td>${vec(s.effective_lr)}</td><td>${vec(s.theta_next)}</td></tr>`);
    $("table").innerHTML = `<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody>`;
    const cur = $("table").querySelector("tr.current");
    if (cur && timer) cur.scrollIntoView({ block: "nearest" });
  }

  function csv() {
    const r = race.runs[Number($("which").value || 0)];
    const n = race.n, v = race.variables;
    const names = r.steps.length ? Object.keys(r.steps[0].state) : [];
    const cols = ["t", ...v.map((x) => `theta_${x}`), "J", ...v.map((x) => `grad_${x}`),
      ...names.flatMap((s) => v.map((x) => `${s}_${x}`)), "lr", ...v.map((x) => `step_${x}`),
      ...v.map((x) => `effective_lr_${x}`), ...v.map((x) => `next_${x}`)];
    const lines = [cols.join(",")];
    r.steps.forEach((s, i) => lines.push([s.t, ...s.theta, r.loss[i], ...s.grad,
      ...names.flatMap((k) => s.state[k]), s.lr, ...s.step, ...s.effective_lr, ...s.theta_next]
      .map((x) => (x === null ? "" : x)).join(",")));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    a.download = `race-${r.label}.csv`;
    a.click();
    void n;
  }

  function play() {
    stop();
    if (frame >= last()) show(0);
    $("play").disabled = true;
    timer = setInterval(() => { if (frame >= last()) stop(); else show(frame + 1); }, 120);
  }
  function stop() { if (timer) clearInterval(timer); timer = null; $("play").disabled = false; }

  async function init() {
    const [o, f] = await Promise.all([Lab.get("/api/optimizers"), Lab.get("/api/functions")]);
    for (const x of o.optimizers) OPTIMIZERS[x.name] = x;
    for (const s of o.schedules) SCHEDULES[s.name] = s;
    FUNCTIONS = f.functions;
    $("builtin").innerHTML += FUNCTIONS.map((fn) => `<option value="${fn.name}">${fn.title} (${fn.n}-D)</option>`).join("");
    $("builtin").addEventListener("change", () => {
      const fn = FUNCTIONS.find((x) => x.name === $("builtin").value);
      if (!fn) return;
      $("fn").value = fn.name;
      $("x0").value = fn.x0.join(", ");
    });
    $("add").addEventListener("click", () => optRow({ name: "adam", lr: 0.05 }));
    $("run").addEventListener("click", run);
    $("fn").addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
    $("share").addEventListener("click", async () => {
      Lab.writeState(readForm());
      try { await navigator.clipboard.writeText(location.href); $("shared").textContent = "link copied"; }
      catch (e) { $("shared").textContent = location.href; }
    });
    $("play").addEventListener("click", play);
    $("pause").addEventListener("click", stop);
    $("stepbtn").addEventListener("click", () => { stop(); if (race) show(frame + 1); });
    $("scrub").addEventListener("input", () => { stop(); if (race) show(Number($("scrub").value)); });
    $("which").addEventListener("change", table);
    $("csv").addEventListener("click", () => race && csv());
    $("contour").on("plotly_click", (ev) => {
      if (!race || race.n !== 2 || !ev.points.length) return;
      const p = ev.points[0];
      $("x0").value = `${fmt(p.x)}, ${fmt(p.y)}`;
      run();
    });
    const state = Lab.readState() || { function: "x**2 + y**2", x0: [3, 4], steps: 50,
      optimizers: [{ name: "sgd", lr: 0.1 }, { name: "adam", lr: 0.05 }] };
    fillForm(state);
    await run();
  }
  Plotly.newPlot("contour", [], Lab.layoutBase, Lab.config).then(init);
})();
