// Vega-Lite spec -> SVG text, headless: vega-lite compiles to a Vega spec and Vega's 'none'
// renderer lays it out and serialises SVG, with no canvas and no browser.
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Prefixes every id in an SVG (and the url(#...) and href="#..." that point at them), so several
 * SVGs can sit inline in one HTML page without their clip paths and gradients colliding.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${prefix}-${id}"`);
}
