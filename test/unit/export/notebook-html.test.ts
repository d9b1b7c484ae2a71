import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../kernel/export/markdown.js";
import { notebookToHtml, type NotebookDocument } from "../../../kernel/export/notebook-html.js";
import { existsSync } from "node:fs";
import { chartPngScale, PNG_SCALE, svgToPng } from "../../../kernel/chart-png.js";
import { chartSvgOf, renderVegaLiteSvg, svgAsMarkdownImage, vegaLiteBundle } from "../../../kernel/display.js";

const SPEC = { title: "acc", data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } };
const options = (renderSvg: (spec: object) => Promise<string> = async () => "<svg><path d='M0,0'/></svg>") => ({
  title: "t</title>",
  vegaEmbedScript: "window.vegaEmbed=function(){return Promise.resolve()}; /* </script> inside */",
  renderSvg,
});

describe("labnote export's HTML", () => {
  it("keeps a chart's spec for vega-embed and its SVG as the fallback", async () => {
    const notebook: NotebookDocument = {
      cells: [{ cell_type: "code", source: ["a < b"], execution_count: 3, outputs: [{ output_type: "display_data", data: { "application/vnd.vegalite.v5+json": { ...SPEC, description: "</script><b>" }, "image/svg+xml": "<svg id='kernel'><path/></svg>", "text/plain": "chart" } }] }],
    };
    const { html, charts } = await notebookToHtml(notebook, options());
    expect(charts).toBe(1);
    expect(html).toContain('<div class="chart-fallback"><svg id=\'kernel\'><path/></svg></div>');
    expect(html).toContain("\\u003c/script>\\u003cb>"); // spec JSON cannot close its <script>
    expect(html).toContain("<\\/script> inside"); // nor can the inlined bundle
    expect(html).toContain("In [3]:");
    expect(html).toContain("a &lt; b");
    expect(html).toContain("<title>t&lt;/title&gt;</title>");
  });

  it("renders the SVG when the notebook holds none, and says when it cannot", async () => {
    const chart = { output_type: "display_data", data: { "application/vnd.vegalite.v5+json": SPEC, "text/plain": "<chart>" } };
    const rendered = await notebookToHtml({ cells: [{ cell_type: "code", source: "", outputs: [chart] }] }, options(async () => "<svg id='rendered'/>"));
    expect(rendered.html).toContain("<svg id='rendered'/>");
    const failed = await notebookToHtml({ cells: [{ cell_type: "code", source: "", outputs: [chart] }] }, options(async () => { throw new Error("bad spec"); }));
    expect(failed.chartsWithoutSvg).toEqual(["cell 0: bad spec"]);
    expect(failed.html).toContain("<pre>&lt;chart&gt;</pre>");
  });

  it("leaves scripts out when there is no chart, and shows streams, errors and images", async () => {
    const { html } = await notebookToHtml(
      {
        cells: [
          { cell_type: "markdown", source: "# Results\nSome **bold** text" },
          {
            cell_type: "code",
            source: "x",
            outputs: [
              { output_type: "stream", name: "stderr", text: ["\u001b[31mwarn\u001b[0m\n"] },
              { output_type: "error", ename: "TypeError", evalue: "nope", traceback: ["\u001b[31mTypeError\u001b[0m: nope"] },
              { output_type: "execute_result", data: { "image/png": "iVBORw0KGgo=", "text/plain": "<PNG>" } },
            ],
          },
        ],
      },
      options(),
    );
    expect(html).not.toContain("<script");
    expect(html).toContain("<h1>Results</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('<div class="output stderr"><pre>warn\n</pre></div>');
    expect(html).toContain("<pre>TypeError: nope</pre>");
    expect(html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=">');
  });
});

describe("the Markdown renderer", () => {
  it("renders lists, code and links, and neutralises script URLs", () => {
    const html = renderMarkdown("- one `a<b`\n- two [x](javascript:alert(1))\n\n```ts\nconst a = 1 < 2;\n```\n\n1. first\n2. [docs](https://example.org)");
    expect(html).toContain("<ul><li>one <code>a&lt;b</code></li><li>two <a href=\"#\">x</a></li></ul>");
    expect(html).toContain('<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>');
    expect(html).toContain('<ol><li>first</li><li><a href="https://example.org">docs</a></li></ol>');
  });
});

describe("the kernel's chart bundle", () => {
  /** Decodes a PNG's IHDR size and counts the distinct colours of its pixels (resvg's own decoder is not needed: sharp edges of the chart give many). */
  async function pngFacts(base64: string): Promise<{ width: number; height: number; colours: number }> {
    const bytes = Buffer.from(base64, "base64");
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const { Resvg } = await import("@resvg/resvg-js");
    // Wrap the PNG in an SVG <image> and rasterise it 1:1 to read its pixels back.
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" href="data:image/png;base64,${base64}"/></svg>`;
    const pixels = new Resvg(svg).render().pixels;
    const colours = new Set<number>();
    for (let index = 0; index < pixels.length; index += 4) colours.add(pixels.readUInt32BE(index));
    return { width, height, colours: colours.size };
  }

  it("carries a PNG and a <picture> whose source is the SVG and whose <img> is the PNG, and no bare image/svg+xml", async () => {
    const bundle = await vegaLiteBundle(SPEC);
    expect(Object.keys(bundle).sort()).toEqual(["application/vnd.vegalite.v5+json", "image/png", "text/markdown", "text/plain"]);
    const markdown = String(bundle["text/markdown"]);
    expect(markdown).toMatch(/^<picture><source srcset="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" type="image\/svg\+xml"><img src="data:image\/png;base64,[A-Za-z0-9+/=]+" width="\d+" height="\d+" alt="acc"><\/picture>$/);
    const svg = chartSvgOf(bundle)!;
    expect(svg).toMatch(/^<svg[\s\S]*>acc<\/text>[\s\S]*<\/svg>$/);
    expect(svg).toBe(await renderVegaLiteSvg(SPEC));
    expect(markdown).toContain(`src="data:image/png;base64,${String(bundle["image/png"])}"`);
    const png = await pngFacts(String(bundle["image/png"]));
    const [, cssWidth, cssHeight] = /width="(\d+)" height="(\d+)"/.exec(markdown)!.map(Number);
    expect(png.width).toBe(cssWidth! * PNG_SCALE);
    expect(png.height).toBe(cssHeight! * PNG_SCALE);
    expect(Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1])).toBe(cssWidth);
    expect(png.colours).toBeGreaterThan(10); // white, the axes' greys, the text's anti-aliasing, the point's blue
  });

  it("without a PNG (png: false) carries image/svg+xml and an <img> of it; live updates (svg: false) carry neither", async () => {
    const bundle = await vegaLiteBundle(SPEC, { png: false });
    const markdown = String(bundle["text/markdown"]);
    expect(markdown).toMatch(/^<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="acc">$/);
    expect(bundle["image/png"]).toBeUndefined();
    expect(chartSvgOf({ "text/markdown": markdown })).toBe(bundle["image/svg+xml"]);
    expect(Object.keys(await vegaLiteBundle(SPEC, { svg: false })).sort()).toEqual(["application/vnd.vegalite.v5+json", "text/plain"]);
    expect(svgAsMarkdownImage("<svg/>", 'a "quoted" <title>')).toContain('alt="a  quoted   title "');
  });

  it("LABNOTE_CHART_PNG_SCALE sets the PNG's pixels per CSS pixel; 0 turns the PNG off", async () => {
    expect(chartPngScale({})).toBe(PNG_SCALE);
    expect(chartPngScale({ LABNOTE_CHART_PNG_SCALE: "2" })).toBe(2);
    for (const bad of ["", "x", "-1", "9"]) expect(chartPngScale({ LABNOTE_CHART_PNG_SCALE: bad })).toBe(PNG_SCALE);
    const saved = process.env.LABNOTE_CHART_PNG_SCALE;
    try {
      process.env.LABNOTE_CHART_PNG_SCALE = "2";
      const sharp = await vegaLiteBundle(SPEC);
      const [, cssWidth] = /width="(\d+)"/.exec(String(sharp["text/markdown"]))!.map(Number);
      expect((await pngFacts(String(sharp["image/png"]))).width).toBe(cssWidth! * 2);
      process.env.LABNOTE_CHART_PNG_SCALE = "0";
      const off = await vegaLiteBundle(SPEC);
      expect(off["image/png"]).toBeUndefined();
      expect(String(off["image/svg+xml"])).toMatch(/^<svg/);
    } finally {
      if (saved === undefined) delete process.env.LABNOTE_CHART_PNG_SCALE;
      else process.env.LABNOTE_CHART_PNG_SCALE = saved;
    }
  });

  // Arimo has neither ⚠ nor ☂: without a fallback font both titles become the same empty box, and the PNGs are equal.
  it.runIf(existsSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))("draws symbols Arimo lacks with the system's fonts (here DejaVu Sans)", async () => {
    const png = async (title: string) => (await svgToPng(await renderVegaLiteSvg({ ...SPEC, title }))).png;
    const [warning, umbrella] = [await png("⚠"), await png("☂")];
    expect(warning.equals(umbrella)).toBe(false);
    expect((await png("a")).equals(await png("a"))).toBe(true); // the same title, the same PNG
  });

  it("labnote export takes the fallback SVG from the <picture> of a PNG bundle", async () => {
    const bundle = await vegaLiteBundle(SPEC);
    const { html } = await notebookToHtml(
      { cells: [{ cell_type: "code", source: "", outputs: [{ output_type: "display_data", data: bundle }] }] },
      options(async () => { throw new Error("should not re-render"); }),
    );
    expect(html).toContain(`<div class="chart-fallback">${chartSvgOf(bundle)}</div>`);
  });
});
