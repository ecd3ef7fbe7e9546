// Opening or dropping a workflow built from other animation packs (AnimateDiff-Evolved, VideoHelperSuite,
// FizzNodes, Frame-Interpolation, Advanced-ControlNet) that are not installed: next to the host's missing-nodes
// message a bar offers "Convert to Tempo". The server converts the workflow as it was opened (POST
// /tempo/migrate), the converted graph is loaded and the report shows, per original node, what was mapped,
// approximated (and how) or not converted.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const ROUTE = "/tempo/migrate";
// Node types of the packs the server converts (migrate.is_peer on the server decides; this only picks when to
// offer). FizzNodes' schedules and Frame-Interpolation's "... VFI" nodes have no common prefix.
const PEER = /^(ADE_|AnimateDiff|VHS_|ACN_|(Diff)?ControlNetLoaderAdvanced$|(Batch)?PromptSchedule)| VFI$/;
const BAR = "tempo-migrate-offer";
const REPORT = "tempo-migrate-report";
const Z = 100000; // above the host's dialogs and their masks
const STATUS_COLOURS = { mapped: "#8fbf8f", approximated: "#e3b341", "not converted": "#ff7b72" };

let opened = null; // the workflow as it was last opened, before the host replaced its missing nodes

function panel(id, css) {
  document.getElementById(id)?.remove();
  const box = document.createElement("div");
  box.id = id;
  box.style.cssText = `position:fixed;z-index:${Z};background:#222;color:#ddd;border:1px solid #555;`
    + `border-radius:6px;font:13px sans-serif;box-shadow:0 4px 16px #0008;${css}`;
  document.body.append(box);
  return box;
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.textContent = text;
  b.style.cssText = "margin-left:8px;padding:4px 10px;cursor:pointer";
  b.addEventListener("click", onClick);
  return b;
}

function offer(workflow, types) {
  const bar = panel(BAR, "top:12px;left:50%;transform:translateX(-50%);padding:8px 12px");
  const text = document.createElement("span");
  text.textContent = `This workflow uses ${types.length} node type(s) of other animation packs `
    + `(${types.slice(0, 4).join(", ")}${types.length > 4 ? ", ..." : ""}).`;
  bar.append(text, button("Convert to Tempo", () => convert(workflow, bar, text)), button("✕", () => bar.remove()));
}

async function convert(workflow, bar, text) {
  text.textContent = "Converting...";
  let answer;
  try {
    const response = await api.fetchApi(ROUTE, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(workflow),
    });
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error ?? response.statusText);
  } catch (error) {
    text.textContent = `Tempo could not convert this workflow: ${error.message}`;
    return;
  }
  bar.remove();
  await app.loadGraphData(answer.workflow);
  showReport(answer.report);
}

function showReport(entries) {
  const box = panel(REPORT, "top:60px;right:12px;width:460px;max-height:70vh;overflow:auto;padding:10px 12px");
  const count = (status) => entries.filter((e) => e.status === status).length;
  const head = document.createElement("div");
  head.style.cssText = "display:flex;justify-content:space-between;align-items:center;margin-bottom:6px";
  head.append(Object.assign(document.createElement("b"), {
    textContent: `Converted to Tempo: ${count("mapped")} mapped, ${count("approximated")} approximated, `
      + `${count("not converted")} not converted`,
  }), button("✕", () => box.remove()));
  box.append(head);
  for (const entry of entries) {
    const row = document.createElement("div");
    row.className = "tempo-migrate-entry";
    row.dataset.status = entry.status;
    row.style.cssText = "border-top:1px solid #444;padding:4px 0";
    const title = document.createElement("div");
    const status = Object.assign(document.createElement("span"), { textContent: entry.status });
    status.style.color = STATUS_COLOURS[entry.status] ?? "#ddd";
    const to = entry.to.length ? ` → ${entry.to.join(", ")}` : "";
    title.append(`#${entry.node} ${entry.type}${to}: `, status);
    row.append(title);
    for (const note of entry.notes) {
      row.append(Object.assign(document.createElement("div"), { textContent: `· ${note}` }));
      row.lastChild.style.cssText = "color:#aaa;margin-left:10px";
    }
    box.append(row);
  }
}

app.registerExtension({
  name: "Tempo.Migrate",
  beforeConfigureGraph(graphData) {
    document.getElementById(BAR)?.remove();
    opened = graphData ? structuredClone(graphData) : null;
  },
  afterConfigureGraph(missingNodeTypes) {
    const types = [...new Set((missingNodeTypes ?? []).map((m) => (typeof m === "string" ? m : m?.type)))];
    const peers = types.filter((type) => type && PEER.test(type));
    if (peers.length && opened) offer(opened, peers);
  },
});
