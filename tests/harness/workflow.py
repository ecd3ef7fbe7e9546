"""UI-format workflow (what the canvas saves and example_workflows/ holds) -> API-format prompt.

Widget values are matched to inputs in the order /object_info declares them, as the frontend does: a seed with
`control_after_generate` carries one extra value (the control mode), an upload widget one more (its button).
"""
SKIPPED_TYPES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
ACTIVE_MODE = 0


def is_widget(spec):
    return isinstance(spec[0], list) or spec[0] in WIDGET_TYPES


def extra_widgets(name, spec):
    """Values the frontend saves after this input's own: a seed's control mode, an upload button's."""
    options = spec[1] if len(spec) > 1 else {}
    if spec[0] == "INT" and (options.get("control_after_generate") or name in ("seed", "noise_seed")):
        return ["fixed"]
    if any(options.get(k) for k in ("image_upload", "video_upload", "audio_upload")):
        return ["image"]
    return []


def to_api(workflow, object_info):
    links = {link[0]: (str(link[1]), link[2]) for link in workflow["links"]}
    prompt = {}
    for node in workflow["nodes"]:
        if node["type"] in SKIPPED_TYPES or node.get("mode", ACTIVE_MODE) != ACTIVE_MODE:
            continue
        if node["type"] not in object_info:
            raise KeyError(f"node {node['id']}: unknown node type {node['type']!r}")
        declared = object_info[node["type"]]["input"]
        linked = {i["name"]: links[i["link"]] for i in node.get("inputs", []) if i.get("link") is not None}
        values = iter(node.get("widgets_values") or [])
        inputs = {}
        for group in ("required", "optional"):
            for name, spec in declared.get(group, {}).items():
                if is_widget(spec):
                    value = next(values, None)
                    for _ in extra_widgets(name, spec):
                        next(values, None)
                    if value is not None:
                        inputs[name] = value
                if name in linked:
                    inputs[name] = list(linked[name])
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return prompt
