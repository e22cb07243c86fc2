"""The optimizer's parameter groups: which weights decay, and which learn slower."""

from __future__ import annotations

from latentlab.ml.model import VideoVAE

#: The PCA-started linear path learns this much slower than the networks: Adam moves every weight by
#: about the learning rate per step, and its weights are a few hundredths each (whole-clip directions),
#: so at the networks' rate one step undid PCA (validation PSNR fell by 7 dB within 50 steps).
LINEAR_PATH_LR_SCALE = 0.02


def param_groups(model: VideoVAE, weight_decay: float) -> list[dict]:
    """Weight decay on the networks only: decaying the PCA-started linear path would pull it away
    from the data's principal directions, and sigma is a scalar with a meaning."""
    names = dict(model.named_parameters())
    linear = [p for n, p in names.items() if n.startswith("linear_path.")]
    scalars = [p for n, p in names.items() if n.startswith("log_sigma")]
    ids = {id(p) for p in linear + scalars}
    decayed = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": decayed, "weight_decay": weight_decay, "lr_scale": 1.0},
            {"params": scalars, "weight_decay": 0.0, "lr_scale": 1.0},
            {"params": linear, "weight_decay": 0.0, "lr_scale": LINEAR_PATH_LR_SCALE}]
