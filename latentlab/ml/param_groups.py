"""The optimizer's parameter groups: which weights decay."""

from __future__ import annotations

from latentlab.ml.model import VideoVAE


def param_groups(model: VideoVAE, weight_decay: float) -> list[dict]:
    """Weight decay on the networks only: the likelihood's sigma is a scalar with a meaning. The
    PCA-started linear path is frozen (``requires_grad`` off, see :mod:`latentlab.ml.linear_path`)."""
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    scalars = [p for n, p in trained if n.startswith("log_sigma")]
    decayed = [p for n, p in trained if not n.startswith("log_sigma")]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": scalars, "weight_decay": 0.0}]
