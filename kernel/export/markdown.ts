// A small Markdown renderer for notebook Markdown cells in `labnote export`: headings, paragraphs, lists, block
// quotes, fenced and indented code, rules, emphasis, inline code, links and images. Raw HTML lines pass through
// (the notebook is the user's own, as with nbconvert's default); everything else is escaped.

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Only web and relative links and data: images; a javascript: URL becomes "#". */
function safeUrl(url: string): string {
  const trimmed = url.trim();
  if (/^(https?:|mailto:|#|\.{0,2}\/|[\w.-]+(\/|$|#|\?))/i.test(trimmed) || /^data:image\/(png|jpeg|gif|webp|svg\+xml);/i.test(trimmed)) return trimmed;
  return "#";
}

function inline(text: string): string {
  const codeSpans: string[] = [];
  let out = text.replace(/`([^`]+)`/g, (_m, code: string) => `\u0000${codeSpans.push(`<code>${escapeHtml(code)}</code>`) - 1}\u0000`);
  out = escapeHtml(out)
    .replace(/!\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g, (_m, alt: string, url: string) => `<img src="${safeUrl(url)}" alt="${alt}">`)
    .replace(/\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g, (_m, label: string, url: string) => `<a href="${safeUrl(url)}">${label}</a>`)
    .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_m, a?: string, b?: string) => `<strong>${a ?? b}</strong>`)
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*|(^|\W)_([^_\s][^_]*)_(?=\W|$)/g, (_m, p1?: string, a?: string, p3?: string, b?: string) => `${p1 ?? p3 ?? ""}<em>${a ?? b}</em>`);
  return out.replace(/\u0000(\d+)\u0000/g, (_m, index: string) => codeSpans[Number(index)]!);
}

export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const html: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(" "))}</p>`);
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const fence = /^(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      while (++index < lines.length && !lines[index]!.startsWith(fence[1]!)) code.push(lines[index]!);
      html.push(`<pre><code${fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : ""}>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
    if (heading) {
      flush();
      html.push(`<h${heading[1]!.length}>${inline(heading[2]!)}</h${heading[1]!.length}>`);
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      html.push("<hr>");
      continue;
    }
    const item = /^\s{0,3}([-*+]|\d+[.)])\s+/.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]!);
      const items: string[] = [];
      while (index < lines.length) {
        const match = /^\s{0,3}([-*+]|\d+[.)])\s+(.*)$/.exec(lines[index]!);
        if (match) items.push(match[2]!);
        else if (/^\s{2,}\S/.test(lines[index]!) && items.length) items[items.length - 1] += ` ${lines[index]!.trim()}`;
        else break;
        index++;
      }
      index--;
      const tag = ordered ? "ol" : "ul";
      html.push(`<${tag}>${items.map((text) => `<li>${inline(text)}</li>`).join("")}</${tag}>`);
      continue;
    }
    if (line.startsWith(">")) {
      flush();
      const quoted: string[] = [];
      while (index < lines.length && lines[index]!.startsWith(">")) quoted.push(lines[index++]!.replace(/^>\s?/, ""));
      index--;
      html.push(`<blockquote>${renderMarkdown(quoted.join("\n"))}</blockquote>`);
      continue;
    }
    if (/^ {4}|\t/.test(line) && paragraph.length === 0) {
      const code: string[] = [];
      while (index < lines.length && (/^ {4}|\t/.test(lines[index]!) || !lines[index]!.trim())) code.push(lines[index++]!.replace(/^ {4}|\t/, ""));
      index--;
      html.push(`<pre><code>${escapeHtml(code.join("\n").trimEnd())}</code></pre>`);
      continue;
    }
    if (/^\s*<\/?[a-zA-Z][^>]*>/.test(line) && paragraph.length === 0) {
      html.push(line);
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  return html.join("\n");
}
