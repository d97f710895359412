"""Matching pilots to frequencies: Hall's condition (can a group fly at once on distinct
channels?) and the best matching of a class's pilots to the set the search chose for it."""

from __future__ import annotations

from fpv.channels.model import PilotSlot, Range


def hall_violation(options: dict[str, list[int]]) -> tuple[list[str], set[int]] | None:
    """Perfect matching of pilots to distinct frequencies; on failure a Hall violator
    (pilots, the frequencies they can use together) with fewer frequencies than pilots."""
    match_f: dict[int, str] = {}

    def augment(pid: str, seen_p: set[str], seen_f: set[int]) -> bool:
        seen_p.add(pid)
        for f in options[pid]:
            if f in seen_f:
                continue
            seen_f.add(f)
            if f not in match_f or augment(match_f[f], seen_p, seen_f):
                match_f[f] = pid
                return True
        return False

    for pid in sorted(options):
        seen_p: set[str] = set()
        seen_f: set[int] = set()
        if not augment(pid, seen_p, seen_f):
            return sorted(seen_p), seen_f
    return None


def assign_class(pilots: list[PilotSlot], chans: list[int]) -> tuple[int, int, dict[str, int]]:
    """Best matching of a class's pilots to its chosen channels: fewest moves, then most
    preferences, then lexicographically smallest (pilots by id get the lowest channels)."""
    pil = sorted(pilots, key=lambda p: p.pilot_id)
    k = len(pil)
    special = any(p.current_mhz is not None or p.preferred_mhz is not None for p in pil)
    if not special:
        return 0, 0, {p.pilot_id: f for p, f in zip(pil, chans, strict=True)}
    seated = sum(1 for p in pil if p.current_mhz is not None)
    big = k + 1

    def w(p: PilotSlot, f: int) -> int:
        return (big if p.current_mhz == f else 0) + (1 if p.preferred_mhz == f else 0)

    if k > 10:  # greedy (exact when current/preferred frequencies are distinct)
        free = list(chans)
        out: dict[str, int] = {}
        for attr in ("current_mhz", "preferred_mhz"):
            for p in pil:
                f = getattr(p, attr)
                if p.pilot_id not in out and f in free:
                    out[p.pilot_id] = f
                    free.remove(f)
        for p in pil:
            if p.pilot_id not in out:
                out[p.pilot_id] = free.pop(0)
        stays = sum(1 for p in pil if out[p.pilot_id] == p.current_mhz)
        prefs = sum(1 for p in pil if out[p.pilot_id] == p.preferred_mhz)
        return seated - stays, prefs, out
    memo: dict[tuple[int, int], int] = {}

    def best(i: int, mask: int) -> int:
        if i == k:
            return 0
        key = (i, mask)
        if key in memo:
            return memo[key]
        v = -1
        for b, f in enumerate(chans):
            if not mask >> b & 1:
                v = max(v, w(pil[i], f) + best(i + 1, mask | 1 << b))
        memo[key] = v
        return v

    total = best(0, 0)
    out = {}
    mask = 0
    for i, p in enumerate(pil):
        target = best(i, mask)
        for b, f in enumerate(chans):
            if not mask >> b & 1 and w(p, f) + best(i + 1, mask | 1 << b) == target:
                out[p.pilot_id] = f
                mask |= 1 << b
                break
    stays = total // big
    prefs = total % big
    return seated - stays, prefs, out


def fit_message(pilots: list[PilotSlot], violator: tuple[list[str], set[int]], rng: Range) -> str:
    ids, freqs = violator
    by_id = {p.pilot_id: p for p in pilots}
    kinds = sorted({str(by_id[i].equipment) for i in ids})
    locked = [i for i in ids if by_id[i].locked]
    msg = (
        f"{len(ids)} pilots ({', '.join(ids)}; equipment {', '.join(kinds)}) can use only "
        f"{len(freqs)} distinct channel(s){rng.where}"
    )
    if locked:
        msg += f" (locked: {', '.join(locked)})"
    return msg
