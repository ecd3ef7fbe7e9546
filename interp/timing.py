"""Which in-betweens to make, in what order, from which frames.

For a multiplier m, each input pair is cut into m steps: its frames sit at slots 0 and m, and slot s is the
frame at time s/m. A schedule lists steps (slot, left, right): make `slot` from the frames already at slots
`left` and `right`, at time (slot - left) / (right - left) between them.
"""

EXACT = "exact"
MIDPOINTS = "midpoints"


def output_count(frames, multiplier, loop=False):
    """(N - 1)·m + 1 frames, or N·m when the last frame is also joined back to the first."""
    return frames * multiplier if loop else (frames - 1) * multiplier + 1


def exact_schedule(multiplier):
    """Every in-between straight from the pair, at t = k/m: one flow per pair serves them all."""
    return [(slot, 0, multiplier) for slot in range(1, multiplier)]


def midpoint_schedule(multiplier):
    """Recursive bisection, as FILM's own tool does: each new frame is made from its two nearest frames already
    made (inputs or in-betweens), at their midpoint when the gap between them is even. For powers of two every
    step is t = 0.5, where FILM was trained; other multipliers also get some steps at t = 1/3, 2/5, ...
    Depth first, so only the frames of one branch are kept at a time."""
    steps = []

    def split(left, right):
        if right - left < 2:
            return
        middle = (left + right) // 2
        steps.append((middle, left, right))
        split(left, middle)
        split(middle, right)

    split(0, multiplier)
    return steps


SCHEDULES = {EXACT: exact_schedule, MIDPOINTS: midpoint_schedule}


def step_time(step):
    slot, left, right = step
    return (slot - left) / (right - left)


def last_reads(schedule):
    """For every slot a step reads, the index of the last step that reads it: after that it can be dropped."""
    last = {}
    for index, (_, left, right) in enumerate(schedule):
        last[left] = last[right] = index
    return last
