"""The one exception family of the latent-space service (embed, project, invert, neighbours, paths).

Every public function in ``latentlab.core.{projection, inverse, neighbours, interpolation,
latent_cache}`` and ``latentlab.ml.embedding`` either returns a result (which may carry a
``message`` for the user, e.g. "2 clips: shown as they are") or raises :class:`LatentSpaceError`
(or a subclass) whose text a user can read. No raw numpy / scikit-learn / scipy exception escapes:
callers need to catch only ``LatentSpaceError``.
"""

from __future__ import annotations


class UserError(Exception):
    """Base of every error whose message is meant for the user: bad input, a refused output, a damaged file.

    ``latentlab`` prints such an error as one line (``latentlab CMD: error: ...``) and exits with
    status 1; any other exception is a bug, logged with its traceback (see ``latentlab.cli``).
    """


class LatentSpaceError(UserError):
    """Input that cannot be used (no clips, NaN latents, wrong shapes...), with a message that says why."""


class Cancelled(LatentSpaceError):
    """A long job stopped because its ``cancel()`` callback returned True."""


class ProjectionCancelled(Cancelled):
    """A projection fit was cancelled; nothing is returned and no state is changed."""


class EmbeddingCancelled(Cancelled):
    """Encoding was cancelled; the clips encoded so far are kept in the cache and reused next time."""
