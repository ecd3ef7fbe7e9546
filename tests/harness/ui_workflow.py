"""API-format prompt + /object_info -> UI-format workflow (the canvas format example_workflows/ holds).

The inverse of workflow.to_api: used to author the examples from short graph descriptions, so every widget
value lands in the slot the frontend expects. Nodes are laid out in columns by their depth in the graph.
"""
from workflow import extra_widgets, frontend_inputs, is_widget, options

COLUMN_WIDTH, ROW_GAP, NODE_WIDTH = 360, 40, 320


def _default(spec):
    if "default" in options(spec):
        return options(spec)["default"]
    if isinstance(spec[0], list):
        return spec[0][0] if spec[0] else ""
    return {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}.get(spec[0])


def _depths(prompt):
    depth = {}

    def visit(node_id):
        if node_id not in depth:
            parents = [v[0] for v in prompt[node_id]["inputs"].values() if isinstance(v, list)]
            depth[node_id] = 1 + max((visit(p) for p in parents), default=-1)
        return depth[node_id]

    for node_id in prompt:
        visit(node_id)
    return depth


def to_ui(prompt, object_info, notes=()):
    """notes: (title, text) pairs shown as Note nodes in the first column."""
    links, nodes = [], []
    depth = _depths(prompt)
    column_height = {}
    for note_title, text in notes:
        nodes.append({"id": len(prompt) + len(nodes) + 1, "type": "Note", "title": note_title,
                      "pos": [0, column_height.get(-1, 0)], "size": [NODE_WIDTH, 220], "flags": {}, "order": 0,
                      "mode": 0, "inputs": [], "outputs": [], "properties": {}, "widgets_values": [text]})
        column_height[-1] = column_height.get(-1, 0) + 220 + ROW_GAP
    for node_id, node in sorted(prompt.items(), key=lambda item: (depth[item[0]], int(item[0]))):
        info = object_info[node["class_type"]]
        slots, widgets = [], []
        for name, spec in frontend_inputs(info):
            value = node["inputs"].get(name)
            if isinstance(value, list):
                link_id = len(links) + 1
                source, slot = value
                links.append([link_id, int(source), slot, int(node_id), len(slots), spec[0]])
                slots.append({"name": name, "type": spec[0], "link": link_id})
            if is_widget(spec):
                widgets.append(_default(spec) if value is None or isinstance(value, list) else value)
                widgets += extra_widgets(name, spec)
        column = depth[node_id]
        height = 60 + 26 * (len(widgets) + max(len(slots), len(info["output"])))
        y = column_height.get(column, 0)
        column_height[column] = y + height + ROW_GAP
        nodes.append({
            "id": int(node_id), "type": node["class_type"], "pos": [(column + 1) * COLUMN_WIDTH, y],
            "size": [NODE_WIDTH, height], "flags": {}, "order": column, "mode": 0, "inputs": slots,
            "outputs": [{"name": name, "type": kind, "links": [], "slot_index": i}
                        for i, (name, kind) in enumerate(zip(info["output_name"], info["output"]))],
            "properties": {"Node name for S&R": node["class_type"]},
            "widgets_values": widgets,
        })
    # Only now: a node is written before the deeper nodes its outputs feed, so before the links leaving it.
    by_id = {node["id"]: node for node in nodes}
    for link_id, origin, slot, *_ in links:
        by_id[origin]["outputs"][slot]["links"].append(link_id)
    return {"last_node_id": max(n["id"] for n in nodes), "last_link_id": len(links), "nodes": nodes,
            "links": links, "groups": [], "config": {}, "extra": {}, "version": 0.4}
