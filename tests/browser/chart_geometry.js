// Geometry of every Plotly chart on the page, as drawn (screen pixels), for test_chart_labels.py.
// For each visible chart: its viewport, its texts (kind, content, box), the points of its lines
// (shape lines such as targets, and the lines of scatter traces) and the boxes of hatched bars.
() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none"
      && Number(style.opacity || 1) > 0 && Number(el.getAttribute("opacity") ?? 1) > 0;
  };
  const visible = (el) => {  // a box with an area; a straight line has none: see shown()
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && shown(el);
  };
  const kindOf = (t) => {
    if (t.closest(".hoverlayer")) return null;
    if (t.closest(".textpoint")) return "data";
    if (t.classList.contains("bartext")) return "data";
    if (t.closest(".annotation")) return "annotation";
    if (t.closest(".xtick, .x2tick")) return "xtick";
    if (t.closest(".ytick, .y2tick")) return "ytick";
    if (t.closest(".legend")) return "legend";
    if (t.closest(".gtitle, .g-gtitle")) return "title";
    if (t.closest(".g-xtitle, .g-ytitle, .g-y2title, .g-x2title")) return "axis-title";
    return "other";
  };
  const points = (path) => {  // the path sampled every 3 px, in screen coordinates
    const out = [];
    let length = 0;
    try { length = path.getTotalLength(); } catch (e) { return out; }
    const ctm = path.getScreenCTM();
    if (!ctm || length === 0) return out;
    const svg = path.ownerSVGElement;
    for (let s = 0; s <= length; s += 3) {
      const p = path.getPointAtLength(s);
      const q = svg.createSVGPoint(); q.x = p.x; q.y = p.y;
      const t = q.matrixTransform(ctm);
      out.push([t.x, t.y]);
    }
    return out;
  };
  const charts = [];
  document.querySelectorAll(".js-plotly-plot").forEach((plot, index) => {
    if (!visible(plot)) return;
    const svg = plot.querySelector(".main-svg");
    const title = plot.querySelector(".gtitle");
    const texts = [];
    plot.querySelectorAll(".main-svg text").forEach((t) => {
      const kind = kindOf(t);
      const content = (t.textContent || "").trim();
      if (!kind || !content || !visible(t)) return;
      texts.push({kind, text: content, box: box(t)});
    });
    const lines = [];
    plot.querySelectorAll(".shapelayer path").forEach((p) => { if (shown(p)) lines.push({kind: "shape", points: points(p)}); });
    plot.querySelectorAll(".scatterlayer path.js-line").forEach((p) => { if (shown(p)) lines.push({kind: "trace line", points: points(p)}); });
    const hatched = [];
    plot.querySelectorAll(".barlayer .point path").forEach((p) => {
      if (visible(p) && (p.style.fill || p.getAttribute("fill") || "").includes("url(")) hatched.push(box(p));
    });
    charts.push({index, title: title ? title.textContent : "", viewport: box(svg), texts, lines, hatched});
  });
  return charts;
}
