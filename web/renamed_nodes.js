// Tempo's node IDs carry a Tempo prefix since FizzNodes registers `PromptSchedule` too. A workflow saved under an
// old ID opens with Tempo's node, before the frontend looks for missing nodes; a saved node whose inputs and
// outputs do not fit Tempo's definition (another pack's node under that ID) is left as it is.
import { app } from "../../scripts/app.js";

const RENAMED = {
  PromptSchedule: "TempoPromptSchedule",
  LoadMotionModule: "TempoLoadMotionModule",
  ApplyMotionLoRA: "TempoApplyMotionLoRA",
  ContextWindowSampler: "TempoContextWindowSampler",
  FILMInterpolate: "TempoFILMInterpolate",
};
const NEW_IDS = new Set(Object.values(RENAMED));
const signatures = {}; // new ID -> { inputs: name -> type, outputs: [type] }, from the server's definitions

function signature(definition) {
  const declared = { ...definition.input?.required, ...definition.input?.optional };
  const typeOf = ([type]) => (Array.isArray(type) ? "COMBO" : type);
  const inputs = Object.fromEntries(Object.entries(declared).map(([name, spec]) => [name, typeOf(spec)]));
  return { inputs, outputs: definition.output ?? [] };
}

// Saved slots are those of Tempo's node: every input one it declares (a widget's input keeps its widget's
// name), the outputs its outputs in order.
function fits(node, { inputs, outputs }) {
  const savedInputs = node.inputs ?? [];
  const savedOutputs = node.outputs ?? [];
  return savedInputs.every((input) => input.name in inputs && (input.widget || input.type === inputs[input.name]))
    && savedOutputs.length === outputs.length && savedOutputs.every((output, i) => output.type === outputs[i]);
}

function rename(nodes) {
  for (const node of nodes ?? []) {
    const id = RENAMED[node.type];
    if (id && signatures[id] && fits(node, signatures[id])) node.type = id;
  }
}

app.registerExtension({
  name: "Tempo.RenamedNodes",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (NEW_IDS.has(nodeData.name)) signatures[nodeData.name] = signature(nodeData);
  },
  // Subgraph definitions of newer frontends hold nodes too.
  async beforeConfigureGraph(graphData) {
    rename(graphData?.nodes);
    for (const subgraph of graphData?.definitions?.subgraphs ?? []) rename(subgraph.nodes);
  },
});
