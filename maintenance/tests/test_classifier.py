"""Tests for the ticket classifier, against the real trained checkpoint.

The checkpoint is the one the service loads (maintenance/model, gitignored, built by
scripts/install.sh), read only; if it is missing, maintenance/training/train.py builds
one into a temporary folder once per session (~2-3 min on 2 cores).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

MAINTENANCE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MAINTENANCE / "training"))    # train.py is a script, not a package

import enhanced_model as em  # noqa: E402

MODEL_DIR = MAINTENANCE / "model"
DATA_CSV = MAINTENANCE / "training" / "data" / "tickets.csv"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The checkpoint the service loads (MAINTENANCE_MODEL_DIR, else maintenance/model, which
    scripts/install.sh builds), read only. When it is missing or lacks its ONNX files, the
    tests build their own under a temporary folder: they never write into the repository."""
    installed = Path(os.environ.get("MAINTENANCE_MODEL_DIR") or MODEL_DIR)
    onnx_int8 = em.ONNX_FILES["onnx-int8"]
    if (installed / "config.json").is_file() and (installed / onnx_int8).is_file():
        return installed
    built = tmp_path_factory.mktemp("classifier") / "model"
    if (installed / "config.json").is_file():
        built.mkdir()
        for item in installed.iterdir():          # the trained checkpoint as it is; ONNX added below
            if item.name != "onnx":
                (built / item.name).symlink_to(item.resolve())
    else:
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        subprocess.run([sys.executable, str(MAINTENANCE / "training" / "train.py"), "--out", str(built)],
                       check=True, env=env, timeout=1800)        # train.py exports ONNX as well
    if not (built / onnx_int8).is_file():
        em.export_onnx(built)
    return built


@pytest.fixture(scope="session")
def clf(model_dir) -> em.ModelClassifier:
    return em.ModelClassifier(model_dir)  # default runtime, as the service uses it


def _split(name: str) -> tuple[list[str], list[str]]:
    with DATA_CSV.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == name]
    return [r["text"] for r in rows], [r["category"] for r in rows]


# --- data set ---------------------------------------------------------------
@pytest.mark.fast
def test_dataset_shape():
    with DATA_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"text", "category", "split"}
    for cat in em.CATEGORIES:
        cat_rows = [r for r in rows if r["category"] == cat]
        assert len(cat_rows) >= 150, cat
        test_share = sum(r["split"] == "test" for r in cat_rows) / len(cat_rows)
        assert 0.15 <= test_share <= 0.25, (cat, test_share)
    assert {r["category"] for r in rows} == set(em.CATEGORIES)
    train_texts = {r["text"].lower() for r in rows if r["split"] == "train"}
    assert not any(r["text"].lower() in train_texts for r in rows if r["split"] == "test")


# --- model quality ------------------------------------------------------------
def test_heldout_accuracy(clf):
    texts, labels = _split("test")
    preds = []
    for i in range(0, len(texts), 64):
        preds += [c.category for c in clf.classify(texts[i:i + 64])]
    accuracy = sum(p == y for p, y in zip(preds, labels)) / len(labels)
    assert accuracy >= 0.90, f"held-out accuracy {accuracy:.3f} < 0.90"


@pytest.mark.parametrize("text", [
    "Broken projector in Lecture Hall B. The projector is not turning on",
    "Broken projector in Lecture Hall B",
    "The projector is not turning on",
    "wifi keeps dropping in my dorm room",
    "The printer on the 2nd floor of the library is jammed",
])
def test_it_tickets(clf, text):
    result = clf.classify([text])[0]
    assert result.category == "IT", result
    assert result.method == "model"
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize("text,category", [
    ("toilet overflowing in the 3rd floor bathroom", "Plumbing"),
    ("Lights flickering in the gym", "Electrical"),
    ("It's freezing in my office, the heating isn't working", "HVAC"),
    ("Someone stole my bike from the rack outside the library", "Security"),
])
def test_model_examples(clf, text, category):
    assert clf.classify([text])[0].category == category


def test_batch_returns_one_result_per_ticket(clf):
    texts = ["sink is clogged", "projector won't turn on", "trash overflowing in the lounge"]
    results = clf.classify(texts)
    assert len(results) == 3
    assert [r.category for r in results] == ["Plumbing", "IT", "Cleaning"]
    assert clf.classify([]) == []


def test_embed_unit_norm_and_paraphrases(clf):
    import numpy as np

    vecs = clf.embed([
        "The toilet in the men's room on the second floor is clogged",
        "2nd floor men's bathroom toilet is blocked up",
        "My laptop can't connect to the campus wifi",
    ])
    assert vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    paraphrase = float(vecs[0] @ vecs[1])
    unrelated = float(vecs[0] @ vecs[2])
    assert paraphrase > unrelated + 0.2, (paraphrase, unrelated)


@pytest.mark.parametrize("runtime", [r for r in em.RUNTIMES if r != "fp32"])
def test_fast_runtimes_agree_with_fp32(model_dir, runtime):
    texts, labels = _split("test")
    texts, labels = texts[::4], labels[::4]
    fp32 = [c.category for c in em.ModelClassifier(model_dir, runtime="fp32").classify(texts)]
    fast = em.ModelClassifier(model_dir, runtime=runtime)
    assert fast.runtime == runtime
    got = [c.category for c in fast.classify(texts)]
    agreement = sum(x == y for x, y in zip(fp32, got)) / len(texts)
    assert agreement >= 0.95, agreement
    acc_fp32 = sum(x == y for x, y in zip(fp32, labels)) / len(labels)
    acc_fast = sum(x == y for x, y in zip(got, labels)) / len(labels)
    assert acc_fast >= acc_fp32 - 0.03, (acc_fast, acc_fp32)
    vecs = fast.embed(texts[:2])
    assert vecs.dtype.name == "float32" and vecs.shape == (2, 384)


def test_onnx_runtime_needs_neither_torch_nor_transformers(model_dir):
    """Why onnx-int8 is the default: a fresh process classifies without importing torch."""
    code = ("import sys\n"
            "import enhanced_model as em\n"
            "c = em.ModelClassifier(%r, runtime='onnx-int8')\n"
            "print(c.classify(['The projector in Lecture Hall B does not turn on'])[0].category)\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n" % str(model_dir))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split("\n")[:2] == ["IT", "[]"], out.stdout + out.stderr


def test_missing_onnx_file_falls_back_to_the_torch_runtime(model_dir, tmp_path, caplog):
    for item in model_dir.iterdir():
        if item.name != "onnx":
            (tmp_path / item.name).symlink_to(item)
    with caplog.at_level(logging.WARNING):
        clf = em.load_classifier(str(tmp_path), runtime="onnx-int8")
    assert isinstance(clf, em.ModelClassifier) and clf.runtime == "fp32"
    assert "export-onnx" in caplog.text
    assert clf.classify(["The sink in the kitchen is leaking"])[0].category == "Plumbing"


def test_unknown_runtime_rejected(model_dir):
    with pytest.raises(ValueError):
        em.ModelClassifier(model_dir, runtime="fp8")


# --- checkpoint format -------------------------------------------------------
def test_checkpoint_is_stock_distilbert(model_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "distilbert"
    assert [config["id2label"][str(i)] for i in range(len(em.CATEGORIES))] == em.CATEGORIES
    assert config["label2id"] == {c: i for i, c in enumerate(em.CATEGORIES)}
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True)
    assert type(model).__name__ == "DistilBertForSequenceClassification"
    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    enc = tok(["projector broken"], truncation=True, max_length=64)
    assert "token_type_ids" not in enc
    assert enc["input_ids"][0][0] == tok.cls_token_id
    # Saved metrics are present and consistent with the held-out split size.
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["n_test"] == len(_split("test")[0])
    assert metrics["accuracy"] >= 0.90


def test_stock_checkpoint_without_mean_pooling_is_supported(model_dir, tmp_path):
    """Any stock sequence-classification checkpoint (first-token head) must load and agree with transformers."""
    import torch
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=30522, dim=32, n_layers=1, n_heads=2, hidden_dim=64, num_labels=3,
                              id2label={0: "a", 1: "b", 2: "c"}, label2id={"a": 0, "b": 1, "c": 2})
    model = DistilBertForSequenceClassification(config).eval()
    model.save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True).save_pretrained(tmp_path)

    stock = em.ModelClassifier(tmp_path, runtime="fp32")
    assert stock.pooling == "cls"
    texts = ["one ticket", "another, longer ticket about a leaking pipe in the basement"]
    enc = AutoTokenizer.from_pretrained(str(tmp_path))(texts, padding=True, truncation=True, max_length=64,
                                                        return_tensors="pt")
    with torch.no_grad():
        expected = model(**enc).logits.softmax(-1)
    got = stock.classify(texts)
    assert [r.category for r in got] == [config.id2label[int(i)] for i in expected.argmax(-1)]
    assert got[0].confidence == pytest.approx(float(expected[0].max()), abs=1e-5)


def test_verify_conversion():
    from train import verify_conversion

    diff = verify_conversion(tol=1e-4)
    assert 0.0 <= diff <= 1e-4


# --- fallback -----------------------------------------------------------------
@pytest.mark.fast
def test_missing_model_dir_falls_back_to_keywords(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger=em.__name__):
        clf = em.load_classifier(str(tmp_path / "does-not-exist"))
    assert isinstance(clf, em.KeywordClassifier)
    assert any("keyword" in r.getMessage() for r in caplog.records)
    assert clf.method == "keywords"
    assert clf.embed(["anything"]) is None
    results = clf.classify(["toilet overflowing", "Broken projector in Lecture Hall B", "trash bins overflowing",
                            "my laptop was stolen from the library", "radiator is cold and the room is freezing"])
    assert [r.category for r in results] == ["Plumbing", "IT", "Cleaning", "Security", "HVAC"]
    assert all(0.0 <= r.confidence <= 1.0 and r.method == "keywords" for r in results)


@pytest.mark.fast
def test_unloadable_model_dir_falls_back(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    assert isinstance(em.load_classifier(str(tmp_path)), em.KeywordClassifier)
    assert isinstance(em.load_classifier(None), em.KeywordClassifier)


def test_load_classifier_uses_model_when_present(model_dir):
    clf = em.load_classifier(str(model_dir), runtime="fp32")
    assert isinstance(clf, em.ModelClassifier) and clf.runtime == "fp32"


# --- priority / impact / SLA ----------------------------------------------------
@pytest.mark.parametrize("text", [
    "Burst pipe in the basement, water spraying everywhere",
    "The lobby is flooding",
    "Outlet sparked and there's smoke",
    "burning smell coming from the breaker box",
    "exposed wires hanging from the ceiling",
    "I smell gas in the dorm kitchen",
    "A student slipped and is bleeding",
    "Fire alarm going off in Baker Hall",
    "Looks like someone broke in overnight, window smashed",
    "There is an intruder on the 3rd floor",
])
@pytest.mark.fast
def test_urgent(text):
    assert em.assess_priority(text) == "urgent"


@pytest.mark.parametrize("text", [
    "no smoke, just a rattle",
    "there is no fire but the heater rattles",
    "the outlet is not sparking anymore",
    "Radiator is noisy, without any smoke or burning smell",
    "The sink drips slowly",
    "fire extinguisher in the hallway is missing its tag",
])
@pytest.mark.fast
def test_standard(text):
    assert em.assess_priority(text) == "standard"


@pytest.mark.parametrize("text,impact", [
    ("Sparks coming out of the outlet in room 214", "safety"),
    ("The entire building has no heat", "building"),
    ("Wifi down across the whole dorm", "building"),
    ("campus-wide email outage", "building"),
    ("Lights are out on all floors", "building"),
    ("The whole floor is freezing", "floor"),
    ("hallway lights are out", "floor"),
    ("the 3rd floor has no AC", "floor"),
    ("Water on the corridor floor near the stairs", "floor"),
    ("Desk drawer in my room is broken", "room"),
    ("3rd floor bathroom sink is clogged", "room"),
    ("no sparks, the outlet in room 214 is just loose", "room"),
])
@pytest.mark.fast
def test_impact(text, impact):
    assert em.assess_impact(text) == impact


@pytest.mark.fast
def test_sla_hours():
    assert em.sla_hours("urgent", "Security") == 2
    assert em.sla_hours("urgent", "Plumbing") == 4
    assert em.sla_hours("standard", "IT") == 72
    assert em.sla_hours("urgent", "HVAC", urgent_hours=6) == 6
    assert em.sla_hours("standard", "Security", standard_hours=48) == 48


@pytest.mark.fast
def test_departments_cover_categories():
    assert set(em.DEPARTMENT_BY_CATEGORY) == set(em.CATEGORIES)
    assert em.DEPARTMENT_BY_CATEGORY["IT"] == "IT Support"
    assert em.DEPARTMENT_BY_CATEGORY["Cleaning"] == "Custodial"


def test_import_is_lightweight():
    code = "import sys; sys.path.insert(0, %r); import enhanced_model; print('torch' in sys.modules)" % str(MAINTENANCE)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
