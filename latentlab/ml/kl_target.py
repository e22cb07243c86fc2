"""A rate target for training: beta adapted so that the KL settles at a chosen number of nats.

With a learnt likelihood variance a fixed beta does not fix the rate: as the decoder sharpens, its
variance falls, the reconstruction term weighs more and the posterior narrows towards a point (on
the bouncing sprites the KL crept from 66 to 75 nats per clip over the second half of a run while the
mean posterior sigma fell to 0.007). A target of R nats per clip is a constraint on the rate,
``min NLL subject to KL = R``, and beta is its Lagrange multiplier: after the KL warm-up, every step
moves ``log beta`` by ``gain * (KL / R - 1)`` (up while the posterior carries more than R nats, down
while it carries fewer), so the run ends at the rate asked for and at the beta that holds it there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BETA_MIN, BETA_MAX = 1e-3, 1e4  # the multiplier stays finite however far off the target is
GAIN = 0.01  # per step on log beta: a KL 20 % above the target raises beta by e in 500 steps
MAX_STEP = 0.05  # at most 5 % a step, however far off the target (the first steps after the warm-up)


@dataclass
class KLTarget:
    """The adapted beta of a run with a rate target of ``nats`` per clip (``beta``: where it starts)."""

    nats: float
    beta: float
    gain: float = GAIN

    def __post_init__(self) -> None:
        if not (math.isfinite(self.nats) and self.nats > 0):
            raise ValueError(f"the KL target must be a positive number of nats, got {self.nats!r}")
        self.beta = min(BETA_MAX, max(BETA_MIN, float(self.beta)))

    def update(self, kl: float) -> float:
        """One step's KL (nats per clip, batch mean) in; the beta for the next step out."""
        if math.isfinite(kl):
            step = max(-MAX_STEP, min(MAX_STEP, self.gain * (kl / self.nats - 1.0)))
            self.beta = min(BETA_MAX, max(BETA_MIN, self.beta * math.exp(step)))
        return self.beta
