"""UI-format workflow (what the canvas saves and example_workflows/ holds) -> API-format prompt.

Widget values are matched to inputs in the order the frontend makes the widgets (frontend_inputs): a seed with
`control_after_generate` carries one extra value (the control mode), and a node with an upload combo has one
more widget, the upload button, whose value the frontend saves but never sends.
"""
import os
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, CHECKOUT)

from migrate.ui_format import extra_widgets, frontend_inputs, is_widget, options  # noqa: E402,F401

SKIPPED_TYPES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
ACTIVE_MODE = 0


def _is_sent(spec):
    """Whether graphToPrompt sends this widget's value to the server."""
    return options(spec).get("serialize", True) is not False


def to_api(workflow, object_info):
    links = {link[0]: (str(link[1]), link[2]) for link in workflow["links"]}
    prompt = {}
    for node in workflow["nodes"]:
        if node["type"] in SKIPPED_TYPES or node.get("mode", ACTIVE_MODE) != ACTIVE_MODE:
            continue
        if node["type"] not in object_info:
            raise KeyError(f"node {node['id']}: unknown node type {node['type']!r}")
        linked = {i["name"]: links[i["link"]] for i in node.get("inputs", []) if i.get("link") is not None}
        values = iter(node.get("widgets_values") or [])
        inputs = {}
        for name, spec in frontend_inputs(object_info[node["type"]]):
            if is_widget(spec):
                value = next(values, None)
                for _ in extra_widgets(name, spec):
                    next(values, None)
                if value is not None and _is_sent(spec):
                    inputs[name] = value
            if name in linked:
                inputs[name] = list(linked[name])
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return prompt
