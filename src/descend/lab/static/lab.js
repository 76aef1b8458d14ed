/* descend lab: helpers shared by the pages (requests, numbers, URL state, KaTeX). */
"use strict";
const Lab = (() => {
  const COLORS = ["#2457c5", "#d1495b", "#2e933c", "#e09f3e", "#7b2cbf", "#00798c"];

  class ApiError extends Error {
    constructor(message, position) { super(message); this.position = position; }
  }

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                  body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
    if (!r.ok) throw new ApiError(data.error || `the server answered ${r.status}`, data.position);
    return data;
  }

  async function get(path) {
    const r = await fetch(path);
    return r.json();
  }

  /* POST and read server-sent events; onEvent gets each parsed data object. */
  async function stream(path, body, onEvent) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                  body: JSON.stringify(body) });
    if (!r.ok) {
      const data = await r.json().catch(() => ({}));
      throw new ApiError(data.error || `the server answered ${r.status}`, data.position);
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const chunk = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (chunk.startsWith("data: ")) onEvent(JSON.parse(chunk.slice(6)));
      }
    }
  }

  /* A number as a learner reads it: 6 significant digits, no trailing zeros. */
  function fmt(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "number") return String(v);
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e6 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, "e");
    return String(Number(v.toPrecision(6)));
  }
  const vec = (a) => (Array.isArray(a) ? (a.length === 1 ? fmt(a[0]) : `(${a.map(fmt).join(", ")})`) : fmt(a));

  function tex(el, latex) {
    try { katex.render(latex, el, { throwOnError: false, displayMode: false }); }
    catch (e) { el.textContent = latex; }
  }

  /* The whole page state lives in the URL fragment, as JSON. */
  function readState() {
    if (location.hash.length < 2) return null;
    try { return JSON.parse(decodeURIComponent(location.hash.slice(1))); } catch (e) { return null; }
  }
  function writeState(state) {
    history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(state)));
  }

  /* The error box: the message, and the expression with a caret under the position. */
  function showError(el, err, source) {
    if (!err) { el.textContent = ""; return; }
    let text = err.message || String(err);
    if (source !== undefined && Number.isInteger(err.position)) {
      text += "\n" + source + "\n" + " ".repeat(err.position) + "^";
    }
    el.textContent = text;
  }

  /* Colours for a contour: log10(1 + J − min J) when asked, so valleys stay visible. */
  function shade(z, log) {
    if (!log) return z;
    let lo = Infinity;
    for (const row of z) for (const v of row) if (v !== null && v < lo) lo = v;
    return z.map((row) => row.map((v) => (v === null ? null : Math.log10(1 + v - lo))));
  }

  // a pasted link with a new fragment loads that state (replaceState above never fires this)
  window.addEventListener("hashchange", () => location.reload());

  const layoutBase = { margin: { l: 50, r: 20, t: 30, b: 40 }, paper_bgcolor: "#fff",
                       plot_bgcolor: "#fff", font: { size: 12 }, showlegend: true,
                       legend: { orientation: "h", y: -0.15 } };
  const config = { displaylogo: false, responsive: true };

  return { COLORS, ApiError, post, get, stream, fmt, vec, tex, readState, writeState,
           showError, shade, layoutBase, config };
})();
