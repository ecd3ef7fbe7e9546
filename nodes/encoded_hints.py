"""VAE-encoded ControlNet hints reused across context windows, frame by frame.

A ControlNet that reads latents (SparseCtrl RGB, or any the stock apply node is given a VAE for) encodes its hint
with the VAE inside get_control whenever its computed hint is cleared, and the window handler clears it for every
window at every step: each frame would be encoded again (windows x steps) times. The VAE encodes each frame on its
own, so a frame's latent rows are the same in every window: the first window that holds a frame keeps them, and a
later window whose frames are all known gets them as the control's computed hint, which the host uses as it is
(it recomputes only a missing hint or one of another size).
This is not a node module: nodes/context_windows.py uses it.
"""
import torch


class EncodedHints:
    def __init__(self):
        self._rows = {}  # id(control) -> (control, its full-clip hint, {frame: computed hint row})

    def _entry(self, control, hint):
        entry = self._rows.get(id(control))
        if entry is None or entry[0] is not control or entry[1] is not hint:
            return None
        return entry[2]

    def known(self, control, hint, frames):
        """The window's computed hint when every one of its frames was encoded before, else None."""
        rows = self._entry(control, hint) if getattr(control, "vae", None) is not None else None
        if rows is None or any(f not in rows for f in frames):
            return None
        return torch.stack([rows[f] for f in frames])

    def keep(self, control, hint, frames):
        """Keeps the rows the host computed for this window (the host may have repeated them for cond and uncond:
        the first len(frames) rows are the window's own)."""
        computed = getattr(control, "cond_hint", None)
        if getattr(control, "vae", None) is None or computed is None:
            return
        rows = self._entry(control, hint)
        if rows is None:
            rows = {}
            self._rows[id(control)] = (control, hint, rows)
        for f, row in zip(frames, computed[:len(frames)]):
            rows.setdefault(f, row)
