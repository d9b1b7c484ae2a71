// GET /api/studies and /api/studies/:name — every %%tune study, with the charts the notebook shows, built by the same
// functions (magics/tune/charts.ts) from the same trials.
import type { FastifyInstance } from "fastify";
import type { JSONObject } from "../../../kernel/types.js";
import { historyChart, importanceChart, parallelCoordinatesChart, sliceChart } from "../../../magics/tune/charts.js";
import { IMPORTANCE_ESTIMATOR, parameterImportances } from "../../../magics/tune/importance.js";
import { distributionFromJSON, type Distribution, type ParamValue } from "../../../magics/tune/space.js";
import type { TrialResult } from "../../../magics/tune/study.js";
import type { TrialRecord } from "../../../store/types.js";
import type { StudiesResponse, StudyDetailResponse } from "../../api.js";
import type { UiContext } from "../context.js";
import { notFound } from "../http-error.js";
import { studySummary, trialRow } from "../rows.js";

function distributionsOf(record: TrialRecord): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const [name, json] of Object.entries(record.distributions)) {
    try {
      out[name] = distributionFromJSON(json);
    } catch {
      // a distribution this labnote cannot read is left out of the charts, not fatal to the page
    }
  }
  return out;
}

function trialResult(record: TrialRecord): TrialResult {
  return {
    number: record.number,
    state: record.state,
    value: record.value,
    params: record.params as Record<string, ParamValue>,
    distributions: distributionsOf(record),
    intermediate: record.intermediate,
    error: record.error,
    runId: record.runId,
    durationMs: record.endedAt !== null ? record.endedAt - record.startedAt : null,
  };
}

export function registerStudyRoutes(app: FastifyInstance, context: UiContext): void {
  app.get("/api/studies", async (): Promise<StudiesResponse> => {
    const studies = await context.store.listStudies();
    const summaries = await Promise.all(studies.map(async (study) => studySummary(study, await context.store.listTrials(study.id))));
    return { studies: summaries };
  });

  app.get("/api/studies/:name", async (request): Promise<StudyDetailResponse> => {
    const { name } = request.params as { name: string };
    const study = await context.store.getStudy(name);
    if (!study) throw notFound(`No study "${name}" in the store: see /api/studies for the studies there are.`);
    const records = await context.store.listTrials(study.id);
    const trials = records.map(trialResult);
    // The latest definition of each parameter wins, as in %%tune's own charts.
    const distributions: Record<string, Distribution> = {};
    for (const trial of trials) Object.assign(distributions, trial.distributions);
    const complete = trials.filter((trial) => trial.state === "complete" && trial.value !== null && Number.isFinite(trial.value));
    const seed = typeof study.config.seed === "number" ? study.config.seed : undefined;
    const importances = parameterImportances(
      complete.map((trial) => ({ params: trial.params, distributions, value: trial.value! })),
      seed === undefined ? {} : { seed },
    );
    const enough = complete.length >= 2 && Object.keys(distributions).length > 0;
    const mode = study.direction === "maximize" ? "max" : "min";
    return {
      study: studySummary(study, records),
      trials: records.map(trialRow),
      charts: {
        history: historyChart(trials, mode, `${study.name}: optimisation history`) as JSONObject,
        parallel: enough ? (parallelCoordinatesChart(trials, distributions, `${study.name}: parallel coordinates`) as JSONObject) : null,
        importance: enough && Object.keys(importances).length > 0 ? (importanceChart(importances, IMPORTANCE_ESTIMATOR) as JSONObject) : null,
        slices: enough ? (sliceChart(trials, distributions, `${study.name}: slices`) as JSONObject) : null,
      },
    };
  });
}
