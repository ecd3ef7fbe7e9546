// Opening or dropping a workflow built from other animation packs (AnimateDiff-Evolved, VideoHelperSuite,
// FizzNodes, Frame-Interpolation, Advanced-ControlNet) that are not installed: next to the host's missing-nodes
// message a bar offers "Convert to Tempo". The server converts the workflow as it was opened (POST
// /tempo/migrate), the converted graph is loaded and the report shows, per original node, what was mapped,
// approximated (and how) or not converted. A dropped A1111 PNG or GIF whose infotext has the AnimateDiff
// extension's settings gets the same offer, for the workflow the server builds from them.
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

// The host's missing-nodes dialog for these node types is stale once the converted graph is loaded; closed the way
// a user would close it (a dialog that cannot be found is left alone).
function closeMissingNodesDialog(types) {
  for (const dialog of document.querySelectorAll("[role='dialog']")) {
    if (!types.some((type) => dialog.textContent.includes(type))) continue;
    dialog.querySelector("button[aria-label='Close'], .p-dialog-close-button, .p-dialog-header-close")?.click();
  }
}

// body: what POST /tempo/migrate converts (a workflow, or {a1111: infotext}); types: the missing node types
function offer(body, message, types = []) {
  const bar = panel(BAR, "top:12px;left:50%;transform:translateX(-50%);padding:8px 12px");
  bar.dataset.kind = body.a1111 ? "a1111" : "workflow";
  const text = document.createElement("span");
  text.textContent = message;
  bar.append(text, button("Convert to Tempo", () => convert(body, bar, text, types)),
    button("✕", () => bar.remove()));
}

async function convert(body, bar, text, types) {
  text.textContent = "Converting...";
  let answer;
  try {
    const response = await api.fetchApi(ROUTE, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error ?? response.statusText);
  } catch (error) {
    text.textContent = `Tempo could not convert this workflow: ${error.message}`;
    return;
  }
  bar.remove();
  closeMissingNodesDialog(types);
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

// ---- A1111 infotext: the "parameters" text chunk of a PNG, the comment extension of a GIF -------------------

function pngText(bytes, key) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder("latin1");
  for (let at = 8; at + 12 <= bytes.length; at += 12 + view.getUint32(at)) {
    const type = latin1.decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + view.getUint32(at));
    const zero = data.indexOf(0);
    if ((type !== "tEXt" && type !== "iTXt") || latin1.decode(data.subarray(0, zero)) !== key) continue;
    if (type === "tEXt") return latin1.decode(data.subarray(zero + 1));
    // iTXt: keyword, compression flag and method, language and translated keyword (0-terminated), text
    if (data[zero + 1] !== 0) return null; // compressed: A1111 never writes that
    let start = data.indexOf(0, zero + 3) + 1;
    start = data.indexOf(0, start) + 1;
    return new TextDecoder().decode(data.subarray(start));
  }
  return null;
}

function gifComments(bytes) {
  const texts = [];
  for (let at = 6; at + 2 < bytes.length; at++) {
    if (bytes[at] !== 0x21 || bytes[at + 1] !== 0xfe) continue;
    const parts = [];
    for (let block = at + 2; block < bytes.length && bytes[block]; block += bytes[block] + 1) {
      parts.push(...bytes.subarray(block + 1, block + 1 + bytes[block]));
    }
    texts.push(new TextDecoder().decode(new Uint8Array(parts)));
  }
  return texts.find((t) => t.includes("AnimateDiff")) ?? null;
}

async function infotext(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (file.type === "image/png") return pngText(bytes, "parameters");
  if (file.type === "image/gif") return gifComments(bytes);
  return null;
}

// Beside the host's own import of the file (it builds a plain txt2img graph from an A1111 PNG), the offer of
// the AnimateDiff conversion; loading that graph leaves this offer up.
document.addEventListener("drop", async (event) => {
  const file = event.dataTransfer?.files?.[0];
  if (!file || !/^image\/(png|gif)$/.test(file.type)) return;
  const text = await infotext(file);
  if (text && /AnimateDiff:/.test(text)) offer({ a1111: text }, "This image carries A1111 AnimateDiff settings.");
}, true);

app.registerExtension({
  name: "Tempo.Migrate",
  beforeConfigureGraph(graphData) {
    const bar = document.getElementById(BAR);
    if (bar?.dataset.kind === "workflow") bar.remove();
    opened = graphData ? structuredClone(graphData) : null;
  },
  afterConfigureGraph(missingNodeTypes) {
    const types = [...new Set((missingNodeTypes ?? []).map((m) => (typeof m === "string" ? m : m?.type)))];
    const peers = types.filter((type) => type && PEER.test(type));
    if (!peers.length || !opened) return;
    offer(opened, `This workflow uses ${peers.length} node type(s) of other animation packs `
      + `(${peers.slice(0, 4).join(", ")}${peers.length > 4 ? ", ..." : ""}).`, peers);
  },
});
