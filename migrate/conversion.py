"""The state of one conversion: which original nodes are removed, the nodes written in their place, and where
each removed output now comes from."""
from collections import namedtuple

from .ui_format import is_value

New = namedtuple("New", "node slot")  # an output of a node the conversion writes


class Conversion:
    def __init__(self, source, object_info, report):
        self.source = source
        self.object_info = object_info
        self.report = report
        self.emitted = {}  # id -> (type, inputs); an id may be the id of the original node it replaces
        self.place = {}  # emitted id -> original id whose place (canvas position, title) it takes
        self.removed = set()
        self.rewire = {}  # (original id, slot) -> New, an original Link (a pass-through) or None (dropped)
        self.windowed = {}  # id of a converted AnimateDiff entry node -> sampler settings for its MODEL
        self.sources_of = {}  # such an entry's id -> ids of the settings nodes those settings came from
        ids = [int(i) for i in source.types if str(i).lstrip("-").isdigit()]
        self._next_id = max(ids, default=0) + 1

    # ---- reading the original -----------------------------------------------------------------------------

    def node(self, node_id):
        return self.source.node(node_id)

    def upstream(self, node, name):
        return self.source.upstream(node, name)

    def linked(self, node, name):
        value = node.inputs.get(name)
        return value is not None and not is_value(value)

    # ---- writing ------------------------------------------------------------------------------------------

    def emit(self, class_type, inputs, place, node_id=None):
        """Writes a node in the place of original node `place`; returns its id."""
        if node_id is None:
            node_id = str(self._next_id)
            self._next_id += 1
        self.emitted[node_id] = (class_type, {k: v for k, v in inputs.items() if v is not None})
        self.place[node_id] = str(place)
        return node_id

    def replace(self, node, class_type, inputs, slots=None):
        """Removes `node` and writes `class_type` under its id; slots maps its output slots to the new node's
        (default: the same slot). Returns the new id."""
        self.removed.add(node.id)
        new_id = self.emit(class_type, inputs, node.id, node.id)
        for old, new in (slots or {0: 0}).items():
            self.rewire[(node.id, old)] = None if new is None else New(new_id, new)
        return new_id

    def remove(self, node, outputs=None):
        """Removes `node`; outputs maps its slots to where consumers now connect (anything else is dropped)."""
        self.removed.add(node.id)
        for slot, target in (outputs or {}).items():
            self.rewire[(node.id, slot)] = target

    def consume(self, node, into, note=None):
        """A settings node whose settings went into node `into` (an emitted id; None: into the samplers)."""
        if node.id not in self.removed:
            self.remove(node)
        if into in self.emitted:
            kind = self.emitted[into][0]
            self.report.mapped(node.id, node.type, f"{into}:{kind}")
            note = note or f"settings carried into node {into} ({kind})"
        else:
            self.report.mapped(node.id, node.type)
        self.report.note(node.id, node.type, note or "settings carried into the samplers of this model")

    def final(self, link):
        """Where an input that named `link` connects after conversion (New or an original Link), or None."""
        for _ in range(len(self.source.types) + len(self.emitted) + 2):
            if isinstance(link, New) or link is None:
                return link
            link = self.source.origin(link)
            if link is None:
                return None
            key = (link.node, link.slot)
            if key in self.rewire:
                link = self.rewire[key]
                continue
            return None if link.node in self.removed else link
        return None
