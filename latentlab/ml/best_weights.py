"""Early stopping without stopping: the weights of the best validation ELBO seen in a run.

With ``TrainSettings.keep_best`` the trainer offers every validation result here (the starting weights
too) and ends by saving the best. On a few hundred clips of a user's videos a model keeps improving on
its training clips long after it has stopped improving on later moments of the same videos; this
keeps the point where it was best on those.
"""

from __future__ import annotations

import math

from latentlab.ml.model import VideoVAE


class BestWeights:
    """The weights of the best validation ELBO so far (kept in memory: a few MB)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.state, self.metrics, self.step = enabled, None, {}, -1

    def offer(self, model: VideoVAE, metrics: dict, step: int) -> None:
        loss = metrics.get("val_loss")
        if not self.enabled or loss is None or not math.isfinite(loss):
            return
        if self.state is None or loss < self.metrics["val_loss"]:
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.metrics = {k: v for k, v in metrics.items() if k.startswith("val_")}
            self.step = step
