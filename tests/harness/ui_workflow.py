"""API-format prompt + /object_info -> UI-format workflow (the canvas format example_workflows/ holds).

The inverse of workflow.to_api: used to author the examples from short graph descriptions, so every widget
value lands in the slot the frontend expects. Nodes are laid out in columns by their depth in the graph
(migrate.layout, which also builds the canvas of a converted A1111 workflow); notes go in a column before them.
"""
from workflow import CHECKOUT  # noqa: F401  (puts the checkout on sys.path for migrate)

from migrate.layout import ROW_GAP, api_to_ui
from migrate.ui_format import NODE_WIDTH


def to_ui(prompt, object_info, notes=()):
    """notes: (title, text) pairs shown as Note nodes in the first column."""
    workflow = api_to_ui(prompt, object_info, first_column=1)
    note_nodes, y = [], 0
    for note_title, text in notes:
        note_nodes.append({"id": len(prompt) + len(note_nodes) + 1, "type": "Note", "title": note_title,
                           "pos": [0, y], "size": [NODE_WIDTH, 220], "flags": {}, "order": 0, "mode": 0,
                           "inputs": [], "outputs": [], "properties": {}, "widgets_values": [text]})
        y += 220 + ROW_GAP
    workflow["nodes"] = note_nodes + workflow["nodes"]
    workflow["last_node_id"] = max(n["id"] for n in workflow["nodes"])
    return workflow
