"""API-format prompt + /object_info -> UI-format workflow, nodes laid out in columns by their depth in the graph
(every widget value in the slot the frontend expects, links listed on the outputs they leave)."""
from .graph import Link
from .ui_format import ui_node

COLUMN_WIDTH, ROW_GAP = 360, 40


def _depths(prompt):
    depth = {}

    def visit(node_id):
        if node_id not in depth:
            depth[node_id] = 0  # a cycle (an invalid graph) stops here instead of recursing forever
            parents = [v[0] for v in prompt[node_id]["inputs"].values() if _is_link(v)]
            depth[node_id] = 1 + max((visit(str(p)) for p in parents if str(p) in prompt), default=-1)
        return depth[node_id]

    for node_id in prompt:
        visit(node_id)
    return depth


def _is_link(value):
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def api_to_ui(prompt, object_info, first_column=0):
    """first_column: columns left free on the left (for notes)."""
    links, nodes = [], []
    depth = _depths(prompt)
    column_height = {}
    for node_id, node in sorted(prompt.items(), key=lambda item: (depth[item[0]], int(item[0]))):
        inputs = node["inputs"]

        def link_id(name, spec, slot, node_id=node_id, inputs=inputs):
            source, out_slot = inputs[name]
            links.append([len(links) + 1, int(source), out_slot, int(node_id), slot,
                          "COMBO" if isinstance(spec[0], list) else spec[0]])
            return len(links)

        values = {k: (Link(str(v[0]), v[1]) if _is_link(v) else v) for k, v in inputs.items()}
        column = depth[node_id]
        ui = ui_node(node_id, node["class_type"], values, object_info[node["class_type"]], link_id,
                     ((column + first_column) * COLUMN_WIDTH, column_height.get(column, 0)))
        ui["order"] = column
        column_height[column] = column_height.get(column, 0) + ui["size"][1] + ROW_GAP
        nodes.append(ui)
    # Only now: a node is written before the deeper nodes its outputs feed, so before the links leaving it.
    by_id = {node["id"]: node for node in nodes}
    for link_id, origin, slot, *_ in links:
        by_id[origin]["outputs"][slot]["links"].append(link_id)
    return {"last_node_id": max(n["id"] for n in nodes), "last_link_id": len(links), "nodes": nodes,
            "links": links, "groups": [], "config": {}, "extra": {}, "version": 0.4}

