"""Adapters that make models trained elsewhere :class:`~latentlab.ml.model_protocol.ClipModel` s."""
