import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../kernel/export/markdown.js";
import { notebookToHtml, type NotebookDocument } from "../../../kernel/export/notebook-html.js";
import { svgAsMarkdownImage, vegaLiteBundle } from "../../../kernel/display.js";

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
  it("carries the SVG as a Markdown image for exporters that sanitise inline SVG", async () => {
    const bundle = await vegaLiteBundle(SPEC);
    const markdown = String(bundle["text/markdown"]);
    expect(markdown).toMatch(/^<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="acc">$/);
    const svg = Buffer.from(/base64,([^"]+)/.exec(markdown)![1]!, "base64").toString("utf8");
    expect(svg).toBe(bundle["image/svg+xml"]);
    expect(Object.keys(await vegaLiteBundle(SPEC, { svg: false })).sort()).toEqual(["application/vnd.vegalite.v5+json", "text/plain"]);
    expect(svgAsMarkdownImage("<svg/>", 'a "quoted" <title>')).toContain('alt="a  quoted   title "');
  });
});
