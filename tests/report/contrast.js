// The lowest text/background contrast ratio on the page (WCAG formula), and where.
() => {
  const rgb = s => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  const lum = c => { const v = c.map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = el => { while (el) { const c = getComputedStyle(el).backgroundColor;
                       if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; el = el.parentElement; }
                     return 'rgb(255, 255, 255)'; };
  let worst = 21, where = '';
  for (const el of document.querySelectorAll('p, li, td, th, h1, h2, h3, span, strong, code')) {
    if (!el.textContent.trim()) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(bg(el)));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst) { worst = ratio; where = el.tagName + ': ' + el.textContent.trim().slice(0, 40); }
  }
  return [worst, where];
}
