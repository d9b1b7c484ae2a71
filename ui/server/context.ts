// What every route of `labnote ui` shares: the store, the run index over it, and the server's settings.
import type { Store } from "../../store/types.js";
import type { InfoResponse } from "../api.js";
import { RunIndex } from "./run-index.js";

export interface UiContext {
  store: Store;
  runs: RunIndex;
  info: InfoResponse;
  /** Artifacts are served only from inside this directory (<project>/.labnote/artifacts). */
  artifactsRoot: string | null;
}

export function createUiContext(store: Store, options: { location: string; project: string | null; allowDelete: boolean; version: string; artifactsRoot: string | null }): UiContext {
  return {
    store,
    runs: new RunIndex(store),
    info: { store: { kind: store.kind, location: options.location }, allowDelete: options.allowDelete, version: options.version, project: options.project },
    artifactsRoot: options.artifactsRoot,
  };
}
