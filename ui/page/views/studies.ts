// /studies and /studies/NAME — every %%tune study; one study's history, parallel coordinates, importances and
// slices (the specs magics/tune/charts.ts builds for the notebook), its trials, live while trials run: the server's
// /api/live?study=NAME events say when a trial changed, and the view then re-reads the study.
import type { LiveEvent, StudiesResponse, StudyDetailResponse, StudySummary } from "../../api.js";
import { apiEvents, apiGet } from "../api-client.js";
import { drawChart } from "../charts.js";
import { clear, formatNumber, formatTime, formatValue, h, section } from "../dom.js";
import type { ViewContext } from "../router.js";

/** Trial events within this window are answered by one re-read of the study. */
const REFRESH_DEBOUNCE_MS = 150;

export async function studiesView(context: ViewContext): Promise<void> {
  const { studies } = await apiGet<StudiesResponse>("/api/studies");
  if (context.left()) return;
  context.root.append(h("h1", {}, "Studies"));
  if (studies.length === 0) {
    context.root.append(h("p", { class: "empty" }, "No studies yet: run a %%tune cell in a notebook."));
    return;
  }
  context.root.append(
    h(
      "table",
      { class: "grid studies-table" },
      h("thead", {}, h("tr", {}, ["study", "direction", "trials", "complete", "running", "pruned", "failed", "best value", "best params", "created"].map((label) => h("th", {}, label)))),
      h(
        "tbody",
        {},
        studies.map((study) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `/studies/${encodeURIComponent(study.name)}` }, study.name)),
            h("td", {}, study.direction),
            [study.trials, study.complete, study.running, study.pruned, study.failed].map((count) => h("td", { class: "num" }, count)),
            h("td", { class: "num" }, formatNumber(study.best?.value ?? null)),
            h("td", {}, study.best ? paramsText(study.best.params) : ""),
            h("td", {}, formatTime(study.createdAt)),
          ),
        ),
      ),
    ),
  );
}

const paramsText = (params: Record<string, unknown>): string => Object.entries(params).map(([key, value]) => `${key}=${formatValue(value)}`).join(", ");

export async function studyView(context: ViewContext): Promise<void> {
  const name = context.segments[0];
  const summary = h("div", {});
  const holders = { history: h("div", { class: "chart" }), parallel: h("div", { class: "chart" }), importance: h("div", { class: "chart" }), slices: h("div", { class: "chart" }) };
  const trials = h("div", {});
  context.root.append(
    h("h1", {}, "Study ", name),
    summary,
    h("div", { class: "columns" }, section("Optimisation history", holders.history), section("Parameter importances", holders.importance)),
    section("Parallel coordinates", holders.parallel),
    section("Slices", holders.slices),
    section("Trials", trials),
  );
  let shownTrials = -1;
  let shownStates = "";
  async function refresh(): Promise<StudySummary> {
    const detail = await apiGet<StudyDetailResponse>(`/api/studies/${encodeURIComponent(name)}`);
    if (context.left()) return detail.study;
    const states = detail.trials.map((trial) => `${trial.number}:${trial.state}:${trial.value}`).join(",");
    if (states === shownStates && shownTrials === detail.trials.length) return detail.study;
    shownStates = states;
    shownTrials = detail.trials.length;
    renderSummary(detail.study);
    renderTrials(detail);
    const draws: Promise<unknown>[] = [];
    for (const key of ["history", "parallel", "importance", "slices"] as const) {
      const spec = detail.charts[key];
      const holder = holders[key];
      if (spec) draws.push(drawChart(holder, spec));
      else {
        clear(holder);
        holder.append(h("p", { class: "muted" }, key === "history" ? "no complete trials yet" : "needs more complete trials"));
      }
    }
    await Promise.all(draws);
    return detail.study;
  }
  function renderSummary(study: StudySummary): void {
    clear(summary);
    summary.append(
      h(
        "p",
        { class: "study-summary" },
        `${study.direction} · ${study.trials} trials (${study.complete} complete, ${study.running} running, ${study.pruned} pruned, ${study.failed} failed)`,
        study.best ? [" · best ", h("strong", {}, formatNumber(study.best.value)), ` at trial ${study.best.trial}: ${paramsText(study.best.params)}`] : "",
        study.running > 0 ? h("span", { class: "live" }, " · live") : "",
      ),
    );
  }
  function renderTrials(detail: StudyDetailResponse): void {
    clear(trials);
    const paramNames = [...new Set(detail.trials.flatMap((trial) => Object.keys(trial.params)))];
    trials.append(
      h(
        "table",
        { class: "grid trials-table" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, "state"), h("th", { class: "num" }, "value"), paramNames.map((param) => h("th", {}, param)), h("th", { class: "num" }, "reports"), h("th", {}, "run"))),
        h(
          "tbody",
          {},
          [...detail.trials].sort((a, b) => a.number - b.number).map((trial) =>
            h(
              "tr",
              { class: detail.study.best?.trial === trial.number ? "best" : null },
              h("td", { class: "num" }, trial.number),
              h("td", {}, h("span", { class: `status status-${trial.state}` }, trial.state)),
              h("td", { class: "num" }, formatNumber(trial.value)),
              paramNames.map((param) => h("td", {}, formatValue(trial.params[param]))),
              h("td", { class: "num" }, trial.intermediate.length),
              // Run ids share a time-ordered prefix, so the link says what it opens and the id rides in its title.
              h("td", {}, trial.runId ? h("a", { href: `/run/${encodeURIComponent(trial.runId)}`, title: trial.runId }, `trial ${trial.number}'s run`) : ""),
            ),
          ),
        ),
      ),
    );
  }
  await refresh();
  // Live: the server polls the study's trials (every 250 ms) and sends an event for each one that changed; the view
  // then re-reads the study (one request, however many trials changed at once) and redraws only if a trial changed.
  // On (re)connecting it re-reads too, for changes made before the stream was open.
  const events = apiEvents("/api/live", { study: name });
  context.onLeave(() => events.close());
  let timer = 0;
  let busy = false;
  let again = false;
  const schedule = (): void => {
    if (timer) return;
    timer = window.setTimeout(async () => {
      if (busy) {
        again = true;
        timer = 0;
        return;
      }
      busy = true;
      try {
        await refresh();
      } catch {
        // the store is briefly unavailable: the next event (or reconnect) refreshes again
      } finally {
        busy = false;
        timer = 0;
        if (again && !context.left()) {
          again = false;
          schedule();
        }
      }
    }, REFRESH_DEBOUNCE_MS);
  };
  context.onLeave(() => window.clearTimeout(timer));
  events.onopen = () => schedule();
  events.onmessage = (message) => {
    const event = JSON.parse(String(message.data)) as LiveEvent;
    if (event.type === "trial" && event.study === name) schedule();
  };
}
