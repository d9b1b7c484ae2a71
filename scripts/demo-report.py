"""Executes a notebook on the labnote kernel through nbclient and writes a self-contained HTML report.

    demo-report.py execute NOTEBOOK EXECUTED_NOTEBOOK --cwd DIR [--timeout SECONDS]
    demo-report.py render EXECUTED_NOTEBOOK REPORT_HTML

`render` keeps each chart's SVG (its image/svg+xml, or the SVG inside its text/markdown <picture> where the kernel gave
the chart a PNG instead) and drops its Vega-Lite JSON and PNG, so the report shows every chart as an inline <svg> with
no JavaScript. It exits non-zero when the notebook holds an error output or a chart without an SVG.
Run with Debian's /usr/bin/python3 (jupyter_client, nbclient, nbconvert).
"""
import argparse
import base64
import re
import sys

import jinja2
import nbclient
import nbformat
from nbconvert import HTMLExporter

VEGA_PREFIXES = ("application/vnd.vegalite", "application/vnd.vega.")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# kernel/display.ts: <picture><source srcset="data:image/svg+xml;base64,…"> (with a PNG) or <img src="data:image/svg+xml;base64,…">
SVG_IN_MARKDOWN = re.compile(r'(?:srcset|src)="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')

# nbconvert's lab template passes SVG through lxml's clean_html, which strips every SVG element but <svg>; the
# kernel's own chart SVG is trusted, so it goes in as is. The report needs no JavaScript (and no network):
# RequireJS and MathJax, which the template loads from a CDN, are left out.
REPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{% block data_svg scoped -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
{{ output.data['image/svg+xml'] }}
</div>
{%- endblock data_svg %}
"""


def execute(args):
    nb = nbformat.read(args.notebook, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="labnote", timeout=args.timeout, allow_errors=True,
                                     resources={"metadata": {"path": args.cwd}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, args.executed)
    errors = describe_errors(nb)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)


def describe_errors(nb):
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return problems


def keep_svg_charts(nb):
    """Drops Vega-Lite JSON (and widget views) where an SVG exists; returns (charts, charts without an SVG)."""
    charts, missing = 0, []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            data.pop(WIDGET_VIEW, None)
            vega = [mime for mime in data if mime.startswith(VEGA_PREFIXES)]
            if not vega:
                continue
            charts += 1
            if "image/svg+xml" not in data:
                found = SVG_IN_MARKDOWN.search("".join(data.get("text/markdown", "")))
                svg = base64.b64decode(found.group(1)).decode("utf-8") if found else ""
                if "<svg" in svg:
                    data["image/svg+xml"] = svg
                    data.pop("image/png", None)  # the report shows the SVG; the PNG is for LaTeX and sanitising viewers
            if "image/svg+xml" not in data:
                missing.append(f"cell {index}: a chart without an image/svg+xml rendering")
                continue
            for mime in vega:
                del data[mime]
            data.pop("text/markdown", None)  # the kernel's image-of-the-SVG for sanitising exporters; the SVG goes in as is
    return charts, missing


def render(args):
    nb = nbformat.read(args.executed, as_version=4)
    errors = describe_errors(nb)
    charts, missing = keep_svg_charts(nb)
    if errors or missing:
        print("\n".join(errors + missing), file=sys.stderr)
        sys.exit(1)
    nb.metadata.pop("widgets", None)
    exporter = HTMLExporter(template_name="lab", extra_loaders=[jinja2.DictLoader({"labnote-report.html.j2": REPORT_TEMPLATE})],
                            template_file="labnote-report.html.j2")
    body, _ = exporter.from_notebook_node(nb)
    with open(args.report, "w", encoding="utf-8") as handle:
        handle.write(body)
    print(f"{charts} charts, all inline SVG")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("execute")
    run.add_argument("notebook")
    run.add_argument("executed")
    run.add_argument("--cwd", required=True)
    run.add_argument("--timeout", type=int, default=600)
    run.set_defaults(handler=execute)
    report = commands.add_parser("render")
    report.add_argument("executed")
    report.add_argument("report")
    report.set_defaults(handler=render)
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
