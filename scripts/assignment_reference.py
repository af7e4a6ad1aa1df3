#!/usr/bin/env python3
"""The Rust `optimal` cohort assignment against scipy's linear_sum_assignment.

Reads what `cargo bench --bench assignment` writes with ASSIGNMENT_EXPORT_DIR set:
scores.npy (seekers x sponsors, 0.0 for an infeasible pair), capacities.npy (each
sponsor's free slots) and rust.json (the Rust total and median time). Each sponsor
becomes one column per free slot; scipy then solves the dense problem exactly. A seeker
that scipy places on a 0.0 entry counts as unmatched: it adds nothing, as in Rust, so
the two optima are comparable. Exits non-zero when the totals differ by more than 1e-9
relatively.

    scripts/assignment_reference.py <export directory>
"""

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

TOLERANCE = 1e-9


def main() -> int:
    directory = Path(sys.argv[1])
    scores = np.load(directory / "scores.npy")
    capacities = np.load(directory / "capacities.npy")
    rust = json.loads((directory / "rust.json").read_text())
    slots = np.repeat(scores, capacities, axis=1)

    times = []
    for _ in range(3):
        started = time.perf_counter()
        rows, columns = linear_sum_assignment(slots, maximize=True)
        times.append(time.perf_counter() - started)
    total = float(slots[rows, columns].sum())
    matched = int(np.count_nonzero(slots[rows, columns]))
    scipy_ms = statistics.median(times) * 1e3

    rust_total, rust_ms = float(rust["total"]), float(rust["median_ms"])
    difference = abs(total - rust_total) / max(abs(total), abs(rust_total), 1.0)
    print(f"cohort: {scores.shape[0]} seekers, {scores.shape[1]} sponsors, "
          f"{slots.shape[1]} slots, {np.count_nonzero(scores)} feasible pairs")
    print(f"{'':8}{'total':>20}{'median ms':>12}")
    print(f"{'scipy':8}{total:>20.9f}{scipy_ms:>12.1f}   ({matched} matched)")
    print(f"{'rust':8}{rust_total:>20.9f}{rust_ms:>12.1f}")
    print(f"relative difference of the totals: {difference:.2e} (at most {TOLERANCE:.0e})")
    print(f"rust is {scipy_ms / rust_ms:.1f} times as fast")
    if difference > TOLERANCE:
        print("totals differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
