/* The train page: a data set, a model, and batch / stochastic / mini-batch descent live. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { fmt, COLORS } = Lab;
  const TITLES = { batch: "batch (all rows per step)", stochastic: "stochastic (one row per step)",
                   minibatch: "mini-batch" };
  let start = null, csvText = null;

  function body() {
    const b = { model: $("model").value, optimizer: { name: $("opt").value, lr: Number($("lr").value) },
                batch_size: Number($("batch").value), epochs: Number($("epochs").value),
                seed: Number($("seed").value), standardize: $("standardize").checked };
    if ($("dataset").value === "upload") { b.csv = csvText || ""; b.target = $("target").value; }
    else b.dataset = $("dataset").value;
    return b;
  }

  async function run() {
    const b = body();
    if (!b.csv) Lab.writeState(b);
    $("run").disabled = true;
    Lab.showError($("error"), null);
    $("runs").innerHTML = "";
    try {
      await Lab.stream("/api/train", b, onEvent);
    } catch (err) {
      Lab.showError($("error"), err);
    } finally { $("run").disabled = false; }
  }

  function onEvent(ev) {
    if (ev.event === "start") setup(ev);
    else if (ev.event === "epoch") epoch(ev);
    else if (ev.event === "end") {
      $("runs").innerHTML = ev.runs.map((r, i) => `<span class="chip ${r.status}" style="--c:${COLORS[i]}"><b>${r.mode}</b> ${r.status}: ${r.message}` +
        (r.loss !== undefined ? `, J = ${fmt(r.loss)} after ${r.n_steps} updates` : "") + `</span>`).join("");
    } else if (ev.event === "error") Lab.showError($("error"), new Error(ev.error));
  }

  function setup(ev) {
    start = ev;
    const label = (m) => (m.mode === "minibatch" ? `mini-batch (${m.batch_size} rows per step)` : TITLES[m.mode]);
    Plotly.react("loss", ev.modes.map((m, i) => ({ name: label(m), x: [], y: [], mode: "lines+markers",
      marker: { size: 3 }, line: { color: COLORS[i] } })),
      { ...Lab.layoutBase, title: { text: `training loss J(θ) against epoch, ${ev.settings.name} α = ${fmt(ev.settings.lr)}`, font: { size: 13 } },
        xaxis: { title: { text: "epoch" } }, yaxis: { type: "log", title: { text: "J" } },
        legend: { orientation: "h", y: -0.35 } }, Lab.config);
    $("panels").innerHTML = ev.modes.map((m, i) => `<div><div id="p${i}" class="plot"></div><div id="a${i}" class="small"></div></div>`).join("");
    ev.modes.forEach((m, i) => {
      const layout = { ...Lab.layoutBase, showlegend: false, title: { text: label(m), font: { size: 13 } },
                       xaxis: { title: { text: ev.features[0] } } };
      const traces = [];
      const v = ev.view;
      if (v && v.kind === "line") {
        traces.push({ x: ev.X.map((r) => r[0]), y: ev.y, mode: "markers", marker: { color: "#555", size: 7 } });
        traces.push({ x: v.x, y: v.x.map(() => null), mode: "lines", line: { color: COLORS[i], width: 3 } });
        layout.yaxis = { title: { text: ev.target } };
      } else if (v && v.kind === "grid") {
        const binary = ev.classes.length === 2;
        traces.push({ type: "contour", x: v.x, y: v.y, z: v.x.map(() => v.y.map(() => null)), showscale: false,
          hoverinfo: "skip",
          colorscale: binary ? [[0, COLORS[i]], [1, COLORS[i]]] : [[0, "#f3d5d8"], [0.5, "#eeeeee"], [1, "#d6e2f7"]],
          contours: binary ? { start: 0, end: 0, size: 1, coloring: "lines" } : { coloring: "heatmap" },
          line: { color: COLORS[i], width: 3 } });
        traces.push({ x: ev.X.map((r) => r[0]), y: ev.X.map((r) => r[1]), mode: "markers",
          marker: { size: 7, color: ev.y.map((c) => (c > 0 ? "#2457c5" : "#d1495b")), line: { color: "#fff", width: 1 } } });
        layout.yaxis = { title: { text: ev.features[1] } };
        layout.xaxis.range = [v.x[0], v.x[v.x.length - 1]];
        layout.yaxis.range = [v.y[0], v.y[v.y.length - 1]];
      } else {
        layout.title.text += ": loss only (more than two features)";
      }
      Plotly.react(`p${i}`, traces, layout, Lab.config);
    });
  }

  function epoch(ev) {
    if (ev.loss !== null) Plotly.extendTraces("loss", { x: [[ev.epoch]], y: [[ev.loss]] }, [ev.mode]);
    const v = start.view;
    if (v && ev.drawn) {
      if (v.kind === "line") Plotly.restyle(`p${ev.mode}`, { y: [ev.drawn] }, [1]);
      else Plotly.restyle(`p${ev.mode}`, { z: [ev.drawn] }, [0]);
    }
    $(`a${ev.mode}`).textContent = `epoch ${ev.epoch}: J = ${fmt(ev.loss)}` +
      (ev.accuracy !== null ? `, accuracy ${fmt(100 * ev.accuracy)}%` : "") + `, θ = (${ev.theta.map(fmt).join(", ")})`;
  }

  async function init() {
    const d = await Lab.get("/api/datasets");
    $("dataset").innerHTML = d.datasets.map((x) => `<option value="${x.name}">${x.name}: ${x.description}</option>`).join("") +
      `<option value="upload">upload a CSV…</option>`;
    $("dataset").addEventListener("change", () => {
      $("upload").style.display = $("dataset").value === "upload" ? "" : "none";
      const model = { exam_pass: "logistic", iris: "softmax" }[$("dataset").value];
      $("model").value = model || "linear";
      $("batch").value = $("dataset").value === "hours_studied" ? 2 : 8;
    });
    $("file").addEventListener("change", async () => { csvText = await $("file").files[0].text(); });
    $("run").addEventListener("click", run);
    $("share").addEventListener("click", async () => {
      Lab.writeState(body());
      try { await navigator.clipboard.writeText(location.href); $("shared").textContent = "link copied"; }
      catch (e) { $("shared").textContent = location.href; }
    });
    const state = Lab.readState();
    if (state && state.dataset) {
      $("dataset").value = state.dataset; $("model").value = state.model; $("opt").value = state.optimizer.name;
      $("lr").value = state.optimizer.lr; $("batch").value = state.batch_size; $("epochs").value = state.epochs;
      $("seed").value = state.seed; $("standardize").checked = state.standardize !== false;
    } else { $("dataset").value = "hours_studied"; $("batch").value = 2; }
    run();
  }
  init();
})();
