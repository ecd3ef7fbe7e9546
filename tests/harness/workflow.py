"""UI-format workflow (what the canvas saves and example_workflows/ holds) -> API-format prompt.

Widget values are matched to inputs in the order the frontend makes the widgets (frontend_inputs): a seed with
`control_after_generate` carries one extra value (the control mode), and a node with an upload combo has one
more widget, the upload button, whose value the frontend saves but never sends.
"""
SKIPPED_TYPES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "IMAGEUPLOAD"}
ACTIVE_MODE = 0
# The combos the frontend's Comfy.UploadImage extension gives an upload button (LoadAudio's button comes from
# another extension, with another value and a player widget beside it; nothing here loads audio).
UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")
UPLOAD = "upload"
UPLOAD_BUTTON = ("IMAGEUPLOAD", {"default": "image", "serialize": False})


def options(spec):
    """An /object_info input spec's options (the dict after its type), empty when it has none."""
    return spec[1] if len(spec) > 1 else {}


def is_widget(spec):
    return isinstance(spec[0], list) or spec[0] in WIDGET_TYPES


def extra_widgets(name, spec):
    """Values the frontend saves after this input's own: a seed's control mode."""
    if spec[0] == "INT" and (options(spec).get("control_after_generate") or name in ("seed", "noise_seed")):
        return ["fixed"]
    return []


def _is_upload_combo(spec):
    return (isinstance(spec[0], list) or spec[0] == "COMBO") and any(options(spec).get(f) is True
                                                                     for f in UPLOAD_FLAGS)


def frontend_inputs(info):
    """(name, spec) of a node's inputs (an /object_info entry) in the order the frontend adds their sockets and
    widgets, with the upload button it adds as an input of its own.

    The frontend appends the button to the required inputs when one of them is an upload combo. The server's
    input_order, where it sends one, then puts the inputs it lists first (required, then optional): the button,
    never listed, ends up after the optional inputs too."""
    required = dict(info["input"].get("required", {}))
    optional = info["input"].get("optional", {})
    if any(_is_upload_combo(spec) for spec in required.values()):
        required[UPLOAD] = UPLOAD_BUTTON
    everything = [*required.items(), *((n, s) for n, s in optional.items() if n not in required)]
    order = info.get("input_order")
    if not order:
        return everything
    listed = ([(n, required[n]) for n in order.get("required", []) if n in required]
              + [(n, optional[n]) for n in order.get("optional", []) if n in optional and n not in required])
    names = {n for n, _ in listed}
    return listed + [(n, s) for n, s in everything if n not in names]


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
