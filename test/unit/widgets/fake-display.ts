// A Display that records bundles per display id, as a frontend would see display_data / update_display_data.
import type { Display, DisplayHandle } from "../../../magics/types.js";

export interface DisplayedBundle {
  displayId: string;
  update: boolean;
  data: Record<string, unknown>;
}

export function fakeDisplay(): { display: Display; shown: DisplayedBundle[] } {
  const shown: DisplayedBundle[] = [];
  let handles = 0;
  const unsupported = (): never => {
    throw new Error("not used by these tests");
  };
  const handle = (): DisplayHandle => {
    const displayId = `display${++handles}`;
    let displayed = false;
    const bundle = (data: Record<string, unknown>): void => {
      shown.push({ displayId, update: displayed, data });
      displayed = true;
    };
    return {
      displayId,
      bundle,
      html: (html) => bundle({ "text/html": html }),
      markdown: (md) => bundle({ "text/markdown": md }),
      text: (text) => bundle({ "text/plain": text }),
      json: (value) => bundle({ "application/json": value }),
      svg: (svg) => bundle({ "image/svg+xml": svg }),
      vegaLite: async () => unsupported(),
    };
  };
  const display = Object.assign((value: unknown) => shown.push({ displayId: "", update: false, data: { "text/plain": String(value) } }), {
    bundle: (data: Record<string, unknown>) => shown.push({ displayId: "", update: false, data }),
    html: unsupported,
    markdown: unsupported,
    svg: unsupported,
    png: unsupported,
    jpeg: unsupported,
    json: unsupported,
    text: unsupported,
    raw: unsupported,
    vegaLite: async () => unsupported(),
    handle,
  }) as Display;
  return { display, shown };
}
