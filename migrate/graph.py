"""A workflow in either format as one graph to convert: nodes with named inputs (values or links), read lazily
from the canvas format with the widget layouts of peers.py or /object_info."""
from collections import namedtuple

from .peers import read_peer_widgets
from .ui_format import is_value, read_widgets

Link = namedtuple("Link", "node slot")  # an output: node id (str) and slot
Node = namedtuple("Node", "id type inputs")
PASS_THROUGH = {"Reroute"}


def is_ui(workflow):
    return isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list)


def check_format(workflow):
    """Raises ValueError naming what was expected, for anything that is neither format."""
    if is_ui(workflow):
        for i, node in enumerate(workflow["nodes"]):
            if not isinstance(node, dict) or "id" not in node or "type" not in node:
                raise ValueError(f"nodes[{i}]: expected an object with id and type")
        if not isinstance(workflow.get("links", []), list):
            raise ValueError("links: expected a list")
        return "ui"
    if isinstance(workflow, dict) and workflow and all(
            isinstance(n, dict) and isinstance(n.get("class_type"), str) for n in workflow.values()):
        return "api"
    raise ValueError("expected a ComfyUI workflow: UI format ({\"nodes\": [...], \"links\": [...]}) or API format "
                     "({id: {\"class_type\", \"inputs\"}})")


def _api_input(value):
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int)) and isinstance(value[1], int):
        return Link(str(value[0]), value[1])
    return value


class Source:
    """The original workflow. types: id -> node type, in file order."""

    def __init__(self, workflow, object_info):
        self.format = check_format(workflow)
        self.workflow = workflow
        self.object_info = object_info
        self._parsed = {}
        if self.format == "api":
            self.raw = {str(k): v for k, v in workflow.items()}
            self.types = {k: v["class_type"] for k, v in self.raw.items()}
            for k, v in self.raw.items():
                inputs = {name: _api_input(value) for name, value in (v.get("inputs") or {}).items()}
                self._parsed[k] = Node(k, v["class_type"], inputs)
        else:
            self.raw = {str(n["id"]): n for n in workflow["nodes"]}
            self.types = {k: n["type"] for k, n in self.raw.items()}
            self.links = {link[0]: Link(str(link[1]), link[2]) for link in workflow.get("links") or []
                          if isinstance(link, list) and len(link) >= 3}

    def node(self, node_id):
        node_id = str(node_id)
        if node_id not in self._parsed:
            self._parsed[node_id] = self._read_ui(node_id)
        return self._parsed[node_id]

    def _read_ui(self, node_id):
        raw = self.raw[node_id]
        values = raw.get("widgets_values")
        inputs = read_peer_widgets(raw["type"], values)
        if inputs is None:
            info = self.object_info.get(raw["type"])
            inputs = read_widgets(info, values) if info and isinstance(values, list) else {}
        for slot in raw.get("inputs") or []:
            if slot.get("link") is not None and slot["link"] in self.links:
                inputs[slot["name"]] = self.links[slot["link"]]
        return Node(node_id, raw["type"], inputs)

    def origin(self, link):
        """The output a link really comes from, past Reroute nodes; None when it leads nowhere."""
        seen = set()
        while link is not None and self.types.get(link.node) in PASS_THROUGH and link.node not in seen:
            seen.add(link.node)
            link = next((v for v in self.node(link.node).inputs.values() if not is_value(v)), None)
        return link if link is not None and link.node in self.types else None

    def upstream(self, node, name):
        """The node feeding input `name` (past reroutes), or None."""
        link = node.inputs.get(name)
        if link is None or is_value(link):
            return None
        link = self.origin(link)
        return None if link is None else self.node(link.node)

    def consumers(self, node_id):
        """(node, input name, link) of every input fed by an output of node_id."""
        found = []
        for other in self.types:
            for name, value in self.node(other).inputs.items():
                if not is_value(value):
                    link = self.origin(value)
                    if link is not None and link.node == str(node_id):
                        found.append((self.node(other), name, link))
        return found
