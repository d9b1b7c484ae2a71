// Client-side routes by URL path. Each view owns the page body until the next navigation; its state lives in the
// URL's query, so reloading or sharing the address reproduces the view.
import type { InfoResponse } from "../api.js";
import { clear } from "./dom.js";
import { beginLoad } from "./ready.js";

export interface ViewContext {
  root: HTMLElement;
  params: URLSearchParams;
  /** Path segments captured by the route pattern (decoded). */
  segments: string[];
  info: InfoResponse;
  /** Runs when the view is left (close event streams, stop timers). */
  onLeave(cleanup: () => void): void;
  /** True once the user has navigated away: late responses must not draw. */
  left(): boolean;
  navigate(url: string): void;
  /** Rewrites the view's query in the address bar without re-rendering (the view applies the change itself). */
  setParams(update: Record<string, string | null>): void;
}

export type View = (context: ViewContext) => Promise<void>;

export interface Route {
  pattern: RegExp;
  view: View;
  title: string;
}

export class Router {
  private leaveCurrent: (() => void) | null = null;
  private generation = 0;

  constructor(
    private readonly routes: Route[],
    private readonly root: HTMLElement,
    private readonly info: InfoResponse,
    private readonly onRender: (route: Route | null) => void,
  ) {
    window.addEventListener("popstate", () => void this.render());
    document.addEventListener("click", (event) => this.interceptLink(event));
  }

  navigate(url: string): void {
    history.pushState(null, "", url);
    void this.render();
  }

  async render(): Promise<void> {
    this.leaveCurrent?.();
    const generation = ++this.generation;
    const cleanups: (() => void)[] = [];
    this.leaveCurrent = () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    };
    const path = location.pathname === "/" ? "/runs" : location.pathname;
    const match = this.routes.map((route) => ({ route, found: route.pattern.exec(path) })).find((candidate) => candidate.found);
    clear(this.root);
    this.onRender(match?.route ?? null);
    const done = beginLoad();
    try {
      if (!match) {
        this.root.textContent = `No view at ${path}. Try /runs, /studies or /versions.`;
        return;
      }
      const context: ViewContext = {
        root: this.root,
        params: new URLSearchParams(location.search),
        segments: match.found!.slice(1).map((segment) => decodeURIComponent(segment)),
        info: this.info,
        onLeave: (cleanup) => cleanups.push(cleanup),
        left: () => generation !== this.generation,
        navigate: (url) => this.navigate(url),
        setParams: (update) => {
          const url = new URL(location.href);
          for (const [key, value] of Object.entries(update)) {
            if (value === null || value === "") url.searchParams.delete(key);
            else url.searchParams.set(key, value);
          }
          history.replaceState(null, "", url.pathname + url.search);
        },
      };
      document.title = `${match.route.title} · labnote`;
      await match.route.view(context);
    } catch (error) {
      if (generation === this.generation) {
        const message = error instanceof Error ? error.message : String(error);
        this.root.append(Object.assign(document.createElement("p"), { className: "error", textContent: message }));
      }
    } finally {
      done();
    }
  }

  private interceptLink(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  }
}
