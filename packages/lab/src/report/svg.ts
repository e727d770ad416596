/**
 * Render a Vega-Lite spec to a static SVG string in Node: vega-lite's
 * `compile` turns it into a Vega spec, and a headless `vega.View` with
 * renderer 'none' serializes the scene graph with `toSVG()`. No browser and
 * no canvas are involved (text widths are estimated), and the SVG needs no
 * script to be viewed, so the HTML report is fully self-contained.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { ChartSpec } from '../experiment.js';

/** Render one chart; on failure, return an SVG that states the error (a report must not die on one bad chart). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  try {
    // vega-lite's TopLevelSpec type is wider than our Json type; the shape is validated by compile().
    const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/[<>&]/g, ' ');
    const title = typeof spec.title === 'object' && spec.title && !Array.isArray(spec.title) ? String((spec.title as { text?: unknown }).text ?? '') : String(spec.title ?? '');
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="60"><text x="4" y="20" font-family="sans-serif" font-size="12" fill="#a00">` +
      `Chart "${title.replace(/[<>&"]/g, ' ')}" could not be rendered:</text><text x="4" y="40" font-family="sans-serif" font-size="11" fill="#a00">${msg.slice(0, 120)}</text></svg>`
    );
  }
}
