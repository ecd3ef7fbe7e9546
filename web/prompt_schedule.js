// Prompt Schedule shows, under its widgets, how the server reads the schedule while the user types: the frame
// count and keyframes, or the parse error with its line and column, before anything is queued. The server's own
// parser answers (POST /tempo/prompt_schedule/validate), so the node says exactly what running it would.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const NODE = "TempoPromptSchedule";
const ROUTE = "/tempo/prompt_schedule/validate";
const FIELDS = ["text", "frames", "pre_text", "app_text", "negative"];
const DEBOUNCE_MS = 250;
const MAX_FRAMES = 100000;
const COLOURS = { ok: "#8fbf8f", error: "#ff7b72", pending: "#a0a0a0" };

const widgetValue = (node, name) => node.widgets?.find((w) => w.name === name)?.value;

// The link into input `index`, through node.getInputLink where the frontend has it (input.link is deprecated
// in newer frontends), else through the link id the slot holds.
function inputLink(node, index) {
  if (index < 0 || !node.graph) return null;
  if (node.getInputLink) return node.getInputLink(index);
  const id = node.inputs[index].link;
  return id == null ? null : node.graph.links?.get?.(id) ?? node.graph.links?.[id] ?? null;
}

// Frames come from the latent input when one is connected: its batch size if the node feeding it shows one
// (Empty Latent Image and friends), otherwise unknown until the graph runs.
function latentFrames(node) {
  const link = inputLink(node, node.inputs?.findIndex((input) => input.name === "latent") ?? -1);
  if (!link) return { connected: false };
  const source = node.graph.getNodeById(link.origin_id);
  const size = source?.widgets?.find((w) => w.name === "batch_size" || w.name === "length")?.value;
  return { connected: true, frames: Number.isInteger(size) && size > 0 ? size : null };
}

function describe(result, latent) {
  if (!result.ok) return { kind: "error", text: result.error.message };
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const frames = latent.connected && latent.frames == null
    ? "frames from the latent input"
    : `${plural(result.frames, "frame")}${latent.connected ? " (from the latent)" : ""}`;
  const parts = [frames, plural(result.keyframes, "keyframe"), plural(result.prompts, "prompt")];
  if (result.negative_keyframes) parts.push(`negative: ${plural(result.negative_keyframes, "keyframe")}`);
  return { kind: "ok", text: parts.join(" · ") };
}

// Heights of the box: two lines of status (it wraps on a narrow node); an error gets room for its line, column
// and what was expected (the full text is also the tooltip).
const BOX_HEIGHT = { ok: 36, pending: 36, error: 76 };

function statusWidget(node) {
  const box = document.createElement("div");
  box.className = "tempo-schedule-status";
  box.style.cssText = "font: 12px monospace; padding: 2px 6px; white-space: pre-wrap; overflow-wrap: anywhere;"
    + "overflow-y: auto; box-sizing: border-box";
  // The frontend lays the widget out at these heights and draws the box inside its margin, above and below.
  const height = () => BOX_HEIGHT[box.dataset.kind ?? "pending"] + 2 * (widget.margin ?? 0);
  const widget = node.addDOMWidget("schedule_status", "tempo_status", box, {
    serialize: false,
    hideOnZoom: false,
    getMinHeight: height,
    getMaxHeight: height,
  });
  widget.serialize = false;
  return { box, widget };
}

// A node saved smaller than its widgets need (or whose status just grew to an error) grows to fit them.
function growToFit(node) {
  const [width, height] = node.computeSize();
  if (node.size[0] >= width && node.size[1] >= height) return;
  node.setSize([Math.max(node.size[0], width), Math.max(node.size[1], height)]);
}

function show(node, status) {
  node.tempoSchedule = { ...node.tempoSchedule, ...status };
  const { box } = node.tempoScheduleWidget;
  box.textContent = status.text;
  box.style.color = COLOURS[status.kind];
  box.title = status.text;
  box.dataset.kind = status.kind;
  growToFit(node);
  node.graph?.setDirtyCanvas(true, false);
}

async function validate(node) {
  const latent = latentFrames(node);
  const frames = latent.connected ? latent.frames ?? MAX_FRAMES : widgetValue(node, "frames");
  const body = Object.fromEntries(FIELDS.map((name) => [name, widgetValue(node, name) ?? ""]));
  body.frames = Number(frames) || 1;
  const request = (node.tempoScheduleRequest ?? 0) + 1;
  node.tempoScheduleRequest = request;
  let status;
  try {
    const response = await api.fetchApi(ROUTE, { method: "POST", body: JSON.stringify(body) });
    const result = await response.json();
    status = response.ok ? { ...describe(result, latent), result } : { kind: "error", text: result.error };
  } catch (error) {
    status = { kind: "pending", text: `schedule not checked: ${error.message ?? error}` };
  }
  if (request === node.tempoScheduleRequest) show(node, status); // an older answer never replaces a newer one
}

function schedule(node) {
  clearTimeout(node.tempoScheduleTimer);
  node.tempoScheduleTimer = setTimeout(() => validate(node), DEBOUNCE_MS);
}

// What the status depends on; checked on every draw too, so values set without a widget callback (by other
// extensions, undo, pasted nodes) are caught as well.
function inputsKey(node) {
  const latent = latentFrames(node);
  return JSON.stringify([FIELDS.map((name) => widgetValue(node, name)), latent.connected, latent.frames]);
}

function scheduleIfChanged(node) {
  const key = inputsKey(node);
  if (key === node.tempoScheduleKey) return;
  node.tempoScheduleKey = key;
  schedule(node);
}

app.registerExtension({
  name: "Tempo.PromptSchedule",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData.name !== NODE) return;

    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const result = onNodeCreated?.apply(this, arguments);
      this.tempoScheduleWidget = statusWidget(this);
      this.tempoSchedule = { kind: "pending", text: "checking schedule…" };
      show(this, this.tempoSchedule);
      // Room for the four text boxes and the status line (a saved workflow's own size replaces this).
      this.setSize([Math.max(this.size[0], 420), Math.max(this.size[1], this.computeSize()[1], 460)]);
      const node = this;
      for (const widget of this.widgets ?? []) {
        if (!FIELDS.includes(widget.name)) continue;
        const callback = widget.callback;
        widget.callback = function () {
          const value = callback?.apply(this, arguments);
          scheduleIfChanged(node);
          return value;
        };
      }
      scheduleIfChanged(this); // saved values are restored after creation; the debounce covers that
      return result;
    };

    const onDrawForeground = nodeType.prototype.onDrawForeground;
    nodeType.prototype.onDrawForeground = function () {
      const result = onDrawForeground?.apply(this, arguments);
      if (this.tempoScheduleWidget) scheduleIfChanged(this);
      return result;
    };

    const onConnectionsChange = nodeType.prototype.onConnectionsChange;
    nodeType.prototype.onConnectionsChange = function () {
      const result = onConnectionsChange?.apply(this, arguments);
      if (this.tempoScheduleWidget) scheduleIfChanged(this);
      return result;
    };

    const onConfigure = nodeType.prototype.onConfigure;
    nodeType.prototype.onConfigure = function () {
      const result = onConfigure?.apply(this, arguments);
      if (!this.tempoScheduleWidget) return result;
      growToFit(this);
      scheduleIfChanged(this);
      return result;
    };
  },
});
