// Vega-Lite spec -> SVG text, headless: vega-lite compiles to a Vega spec and Vega's 'none'
// renderer lays it out and serialises SVG, with no canvas and no browser. Both load on first use:
// importing them costs about 0.4 s, which commands that draw nothing should not pay.
import type { TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
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
