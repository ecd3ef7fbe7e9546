"""convert_workflow: another stack's animation workflow (UI or API format) -> the same format with Tempo's and the
host's nodes in place of the other packs' nodes, links rewired, settings carried over, and a report."""
import copy

from . import animatediff, controlnet, interpolation, prompts, video
from .conversion import Conversion
from .graph import Source
from .report import Report
from .targets import FALLBACK
from .ui_format import default_value, is_value, is_widget, ui_node

HANDLERS = {**video.HANDLERS, **prompts.HANDLERS, **interpolation.HANDLERS, **controlnet.HANDLERS}
PEER_PREFIXES = ("ADE_", "AnimateDiff", "VHS_", "ACN_")
# Advanced-ControlNet's node types from before its ACN_ prefix
ACN_TYPES = {"ControlNetLoaderAdvanced", "DiffControlNetLoaderAdvanced", "CustomControlNetWeights",
             "CustomT2IAdapterWeights", "LatentKeyframe", "LatentKeyframeBatchedGroup", "LatentKeyframeGroup",
             "LatentKeyframeTiming", "LoadImagesFromDirectory", "ScaledSoftControlNetWeights",
             "ScaledSoftMaskedUniversalWeights", "SoftControlNetWeights", "SoftT2IAdapterWeights", "TimestepKeyframe"}


def is_peer(node_type):
    """Whether a node type belongs to one of the packs converted here."""
    return (node_type.startswith(PEER_PREFIXES) or node_type in ACN_TYPES or node_type in prompts.FIZZ_TYPES
            or node_type.endswith(" VFI"))


def convert_workflow(workflow, object_info=None):
    """(converted workflow, report entries). object_info: the server's /object_info (or the part of it for the
    nodes written); without it a built-in description of those nodes is used."""
    info = {**FALLBACK, **(object_info or {})}
    source = Source(workflow, info)
    conv = Conversion(source, info, Report())
    _convert(conv)
    writer = _write_ui if source.format == "ui" else _write_api
    return writer(conv), conv.report.entries()


def _convert(conv):
    types = conv.source.types
    for node_id, node_type in types.items():
        if node_type in animatediff.ENTRIES:
            animatediff.convert_entry(conv, conv.node(node_id))
    animatediff.convert_samplers(conv)
    for node_id, node_type in types.items():
        if node_id not in conv.removed and node_type in HANDLERS:
            HANDLERS[node_type](conv, conv.node(node_id))
    for node_id, node_type in types.items():
        if node_id not in conv.removed and is_peer(node_type):
            conv.report.not_converted(node_id, node_type, "no Tempo or host equivalent; kept as it is (the graph "
                                      "needs this pack, or the node removed by hand)")


def _allowed(conv, class_type, inputs):
    """Inputs the server's node takes: an optional input this server's version lacks is left out."""
    spec = conv.object_info.get(class_type, {}).get("input", {})
    known = {**spec.get("required", {}), **spec.get("optional", {})}
    return {k: v for k, v in inputs.items() if k in known} if known else dict(inputs)


# ---- API format -------------------------------------------------------------------------------------------------

def _api_inputs(conv, inputs):
    out = {}
    for name, value in inputs.items():
        if is_value(value):
            out[name] = value
            continue
        target = conv.final(value)
        if target is not None:
            out[name] = [str(target.node), target.slot]
    return out


def _write_api(conv):
    out = {}
    for node_id, raw in conv.source.raw.items():
        if node_id in conv.emitted:
            out[node_id] = _api_emitted(conv, node_id, raw)
        elif node_id not in conv.removed:
            node = copy.deepcopy(raw)
            node["inputs"] = _api_inputs(conv, conv.node(node_id).inputs)
            out[node_id] = node
    for node_id in conv.emitted:
        if node_id not in out:
            out[node_id] = _api_emitted(conv, node_id, conv.source.raw[conv.place[node_id]])
    return out


def _api_emitted(conv, node_id, like):
    class_type, inputs = conv.emitted[node_id]
    required = conv.object_info.get(class_type, {}).get("input", {}).get("required", {})
    # A prompt names every required input: the ones the conversion did not set get their defaults.
    defaults = {name: default_value(spec) for name, spec in required.items() if is_widget(spec) and name not in inputs}
    node = {"class_type": class_type, "inputs": _api_inputs(conv, {**_allowed(conv, class_type, inputs), **defaults})}
    if "_meta" in like:
        node["_meta"] = copy.deepcopy(like["_meta"])
    return node


# ---- UI format --------------------------------------------------------------------------------------------------

class _Links:
    """The links of the converted canvas, numbered afresh."""

    def __init__(self):
        self.rows = []

    def add(self, origin, target_id, target_slot, kind):
        link_id = len(self.rows) + 1
        self.rows.append([link_id, int(origin.node), origin.slot, int(target_id), target_slot, kind])
        return link_id


def _write_ui(conv):
    out = {k: copy.deepcopy(v) for k, v in conv.source.workflow.items() if k not in ("nodes", "links")}
    links = _Links()
    nodes = []
    for node_id, raw in conv.source.raw.items():
        if node_id in conv.emitted:
            nodes.append(_ui_emitted(conv, node_id, raw, links))
        elif node_id not in conv.removed:
            nodes.append(_ui_kept(conv, raw, links))
    for node_id in conv.emitted:
        if node_id not in conv.source.raw:
            like = conv.source.raw[conv.place[node_id]]
            nodes.append(_ui_emitted(conv, node_id, like, links, offset=_offset(conv, node_id)))
    by_id = {node["id"]: node for node in nodes}
    for link_id, origin, slot, *_ in links.rows:
        outputs = by_id[origin].get("outputs") or []
        if slot < len(outputs):
            outputs[slot].setdefault("links", []).append(link_id)
    out["nodes"], out["links"] = nodes, links.rows
    out["last_node_id"] = max((node["id"] for node in nodes), default=0)
    out["last_link_id"] = len(links.rows)
    return out


def _offset(conv, node_id):
    """Nodes written beside the one in an original node's place go below it, one after another."""
    siblings = [i for i in conv.emitted if conv.place[i] == conv.place[node_id] and i not in conv.source.raw]
    return 80 * (1 + siblings.index(node_id))


def _ui_kept(conv, raw, links):
    node = copy.deepcopy(raw)
    for output in node.get("outputs") or []:
        output["links"] = []
    for slot, socket in enumerate(node.get("inputs") or []):
        link = conv.source.links.get(socket.get("link"))
        target = conv.final(link) if link is not None else None
        socket["link"] = None if target is None else links.add(target, node["id"], slot, socket.get("type", "*"))
    return node


def _ui_emitted(conv, node_id, like, links, offset=0):
    class_type, inputs = conv.emitted[node_id]
    inputs = _allowed(conv, class_type, inputs)
    targets = {name: conv.final(v) for name, v in inputs.items() if not is_value(v)}
    values = {name: v for name, v in inputs.items() if is_value(v) or targets.get(name) is not None}

    def link_id(name, spec, slot):
        kind = "COMBO" if isinstance(spec[0], list) else spec[0]
        return links.add(targets[name], node_id, slot, kind)

    pos = like.get("pos") or [0, 0]
    pos = [pos[0], pos[1] + offset] if isinstance(pos, list) else [0, offset]
    node = ui_node(node_id, class_type, values, conv.object_info[class_type], link_id, pos)
    for key in ("mode", "color", "bgcolor", "flags"):
        if key in like:
            node[key] = copy.deepcopy(like[key])
    if like.get("title") and str(like["id"]) == str(node_id):
        node["title"] = like["title"]
    return node


