() => {
  // Every visible element with its own text (and every image's alt text, shown when images are
  // blocked): its colour against its effective background, WCAG 2.x ratio, and font size.
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0) {
        layers.push(bg);
        if (bg.a >= 1) break;
      }
    }
    const canvas = matchMedia("(prefers-color-scheme: dark)").matches
      ? { r: 18, g: 18, b: 18, a: 1 } : { r: 255, g: 255, b: 255, a: 1 };
    return layers.reverse().reduce((acc, layer) => over(layer, acc), canvas);
  };
  const lum = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) => "#" + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const visible = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return false;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.visibility === "hidden" || style.display === "none" || Number(style.opacity) === 0) return false;
      const box = node.getBoundingClientRect();
      const clips = style.overflow !== "visible";
      if (clips && (box.width === 0 || box.height === 0)) return false;  // e.g. a hidden preheader
    }
    return true;
  };
  const ownText = (el) => {
    if (el.tagName === "IMG") return el.getAttribute("alt") || "";
    return Array.from(el.childNodes)
      .filter((n) => n.nodeType === 3)
      .map((n) => n.textContent)
      .join("")
      .replace(/[\s\u00ad\u034f\u200b-\u200d\u2060\ufeff]+/g, " ")
      .trim();
  };
  const failures = [];
  let checked = 0;
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "TITLE"].includes(el.tagName)) continue;
    const text = ownText(el);
    if (!text || !visible(el)) continue;
    checked += 1;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const r = ratio(fg, bg);
    const need = large ? 3 : 4.5;
    const where = `<${el.tagName.toLowerCase()}> "${text.slice(0, 50)}"`;
    if (r < need) {
      failures.push(`${where}: ${hex(fg)} on ${hex(bg)} is ${r.toFixed(2)}:1, needs ${need}:1`);
    }
    if (size < 14) failures.push(`${where}: font size ${size}px is under 14px`);
  }
  return { checked, failures };
}
