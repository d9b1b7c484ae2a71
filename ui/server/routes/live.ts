// GET /api/live?runs=ID,ID[&study=NAME] — server-sent events: points appended to those runs, their row when it
// changes, and the study's trials when they change. The server polls the store every 250 ms and sends only what is new.
import type { FastifyInstance } from "fastify";
import type { LiveEvent } from "../../api.js";
import type { UiContext } from "../context.js";
import { HttpError, idListParam, stringParam } from "../http-error.js";
import { runRow, seriesByRun, trialRow } from "../rows.js";

const POLL_MS = 250;
const KEEPALIVE_MS = 15_000;
/** Points per poll; a backlog drains over the next polls instead of one huge event. */
const POINTS_PER_POLL = 20_000;

export function registerLiveRoute(app: FastifyInstance, context: UiContext): void {
  app.get("/api/live", async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const study = stringParam(query, "study");
    const runIds = study !== undefined && stringParam(query, "runs") === undefined ? [] : idListParam(query, "runs", { min: 1, max: 100 });
    const studyRecord = study === undefined ? undefined : await context.store.getStudy(study);
    if (study !== undefined && !studyRecord) throw new HttpError(404, `No study "${study}" in the store: see /api/studies.`);

    let cursor = await context.store.lastMetricSeq();
    const runStamps = new Map<string, string>();
    for (const id of runIds) {
      const run = await context.store.getRun(id);
      if (run) runStamps.set(id, JSON.stringify([run.status, run.heartbeatAt, run.endedAt, run.summary]));
    }
    const trialStamps = new Map<number, string>();
    if (studyRecord) for (const trial of await context.store.listTrials(studyRecord.id)) trialStamps.set(trial.number, JSON.stringify(trialRow(trial)));

    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    response.write(": labnote live\n\n");
    const send = (event: LiveEvent): void => {
      response.write(`data: ${JSON.stringify(event)}\n\n`);
    };

    let closed = false;
    let busy = false;
    let lastWrite = Date.now();
    const poll = async (): Promise<void> => {
      if (closed || busy) return;
      busy = true;
      try {
        if (runIds.length > 0) {
          const points = await context.store.getMetricsAfter(runIds, cursor, POINTS_PER_POLL);
          const groups = new Map<string, Extract<LiveEvent, { type: "points" }>>();
          for (const point of points) {
            const id = `${point.runId}\u0000${point.key}\u0000${point.split}`;
            let event = groups.get(id);
            if (!event) groups.set(id, (event = { type: "points", runId: point.runId, key: point.key, split: point.split, points: [] }));
            event.points.push({ step: point.step, value: point.value, t: point.wallTime });
            cursor = Math.max(cursor, point.seq);
          }
          for (const event of groups.values()) send(event);
          const changed: string[] = [];
          for (const id of runIds) {
            const run = await context.store.getRun(id);
            if (!run) continue;
            const stamp = JSON.stringify([run.status, run.heartbeatAt, run.endedAt, run.summary]);
            if (runStamps.get(id) !== stamp) {
              runStamps.set(id, stamp);
              changed.push(id);
            }
          }
          if (changed.length > 0) {
            const series = seriesByRun(await context.store.listSeries({ runIds: changed }));
            for (const id of changed) {
              const run = await context.store.getRun(id);
              if (run) send({ type: "run", run: runRow(run, series.get(id)) });
            }
          }
          if (groups.size > 0 || changed.length > 0) lastWrite = Date.now();
        }
        if (studyRecord) {
          for (const trial of await context.store.listTrials(studyRecord.id)) {
            const row = trialRow(trial);
            const stamp = JSON.stringify(row);
            if (trialStamps.get(trial.number) !== stamp) {
              trialStamps.set(trial.number, stamp);
              send({ type: "trial", study: studyRecord.name, trial: row });
              lastWrite = Date.now();
            }
          }
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          response.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
      } catch (error) {
        // The store may be briefly unreachable (locked file, PostgreSQL restarting): say so and keep polling.
        response.write(`: store unavailable (${error instanceof Error ? error.message.replace(/\s+/g, " ") : String(error)}); retrying\n\n`);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void poll(), POLL_MS);
    const stop = (): void => {
      closed = true;
      clearInterval(timer);
    };
    request.raw.on("close", stop);
    response.on("close", stop);
    response.on("error", stop);
    void poll();
  });
}
