import { describe, expect, it } from "vitest";
import { WidgetManager, widgetManagerFor } from "../../../widgets/ipywidgets/index.js";
import { createProgress, textProgressLine } from "../../../widgets/progress.js";
import { FakeCommManager } from "./fake-comms.js";
import { fakeDisplay } from "./fake-display.js";

describe("createProgress", () => {
  it("without a widget manager: an HTML <progress> and a text line, updated in place", () => {
    const { display, shown } = fakeDisplay();
    const comms = new FakeCommManager();
    const bar = createProgress(display, { total: 4, description: "trials", throttleMs: 0, comms });
    bar.update(2);
    bar.done("trials done");
    expect(comms.sent).toEqual([]);
    expect(shown.map((s) => s.update)).toEqual([false, true, true]);
    expect(new Set(shown.map((s) => s.displayId)).size).toBe(1);
    expect(shown[1]!.data["text/plain"]).toBe(textProgressLine(2, 4, "trials"));
    expect(shown[1]!.data["text/html"]).toContain('<progress value="2" max="4">');
    expect(shown[2]!.data["text/plain"]).toContain("trials done [##############################] 4/4 (100%)");
  });

  it("with a widget manager: an IntProgress widget whose value moves over its comm", () => {
    const { display, shown } = fakeDisplay();
    const comms = new FakeCommManager();
    widgetManagerFor(comms); // what installWidgetManager does at kernel start
    comms.frontendOpens("jupyter.widget.control");
    const bar = createProgress(display, { total: 10, description: "epochs", throttleMs: 0, comms });
    const view = shown[0]!.data["application/vnd.jupyter.widget-view+json"] as { model_id: string };
    const open = comms.sent.find((m) => m.type === "comm_open" && m.commId === view.model_id)!;
    expect(open.data.state).toMatchObject({ _model_name: "IntProgressModel", max: 10, value: 0, description: "epochs" });
    expect(shown[0]!.data["text/plain"]).toBe(textProgressLine(0, 10, "epochs"));
    bar.update(3);
    bar.update(7, "epoch 7");
    bar.done();
    const updates = comms.messagesOn(view.model_id).filter((m) => m.type === "comm_msg").map((m) => m.data.state);
    expect(updates).toEqual([{ value: 3 }, { value: 7, description: "epoch 7" }, { value: 10, bar_style: "success" }]);
    // The saved notebook keeps a text line next to the view for frontends without widgets.
    expect(shown.at(-1)!.data["text/plain"]).toBe(textProgressLine(10, 10, "epoch 7"));
    expect(shown.at(-1)!.update).toBe(true);
  });

  it("throttles updates but always sends the final one", () => {
    const { display, shown } = fakeDisplay();
    const bar = createProgress(display, { total: 1000, description: "steps", throttleMs: 60_000, comms: new FakeCommManager() });
    for (let step = 1; step <= 1000; step++) bar.update(step);
    bar.done();
    expect(shown.length).toBeLessThanOrEqual(3);
    expect(shown.at(-1)!.data["text/plain"]).toContain("1000/1000");
  });

  it("uses the kernel's widget manager when called without comms (as %track/%tune/%version do)", async () => {
    const { installWidgetManager } = await import("../../../widgets/ipywidgets/manager.js");
    const comms = new FakeCommManager();
    const manager: WidgetManager = installWidgetManager(comms);
    comms.frontendOpens("jupyter.widget.control");
    expect(manager.frontendHasWidgetManager).toBe(true);
    const { display, shown } = fakeDisplay();
    createProgress(display, { total: 3, description: "hashing data" });
    expect(shown[0]!.data).toHaveProperty(["application/vnd.jupyter.widget-view+json"]);
  });
});
