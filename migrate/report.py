"""What a conversion did to each node of the original workflow: mapped, approximated (and how) or not converted.

Every node of another pack gets an entry, so nothing is dropped silently; host nodes appear only when the
conversion replaced them (a KSampler that became a Context Window Sampler)."""
MAPPED, APPROXIMATED, NOT_CONVERTED = "mapped", "approximated", "not converted"
_RANK = {MAPPED: 0, APPROXIMATED: 1, NOT_CONVERTED: 2}


class Report:
    def __init__(self):
        self._entries = {}

    def _entry(self, node_id, node_type):
        key = str(node_id)
        if key not in self._entries:
            self._entries[key] = {"node": key, "type": node_type, "status": MAPPED, "to": [], "notes": []}
        return self._entries[key]

    def mapped(self, node_id, node_type, *to):
        entry = self._entry(node_id, node_type)
        entry["to"] += [t for t in to if t not in entry["to"]]
        return entry

    def approximated(self, node_id, node_type, note):
        self._raise(node_id, node_type, APPROXIMATED, note)

    def not_converted(self, node_id, node_type, note):
        self._raise(node_id, node_type, NOT_CONVERTED, note)

    def note(self, node_id, node_type, note):
        entry = self._entry(node_id, node_type)
        if note not in entry["notes"]:
            entry["notes"].append(note)

    def _raise(self, node_id, node_type, status, note):
        entry = self._entry(node_id, node_type)
        if _RANK[status] > _RANK[entry["status"]]:
            entry["status"] = status
        self.note(node_id, node_type, note)

    def entries(self):
        return sorted(self._entries.values(), key=lambda e: (len(e["node"]), e["node"]))

    def summary(self):
        counts = {status: 0 for status in _RANK}
        for entry in self._entries.values():
            counts[entry["status"]] += 1
        return counts
