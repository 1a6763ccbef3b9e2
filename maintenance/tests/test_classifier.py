"""Tests for the ticket classifier, against the real trained checkpoint.

The checkpoint is the one the service loads (maintenance/model, gitignored, built by
scripts/install.sh), read only; if it is missing (or from before the urgency head),
maintenance/training/train.py builds one into a temporary folder once per session
(~2-3 min on 2 cores). Its metrics.json must hold the targets on the hand-written set.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
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
DATA = MAINTENANCE / "training" / "data"
DATA_CSV = DATA / "tickets.csv"
EVAL_CSV = DATA / "eval_handwritten.csv"
# The urgent reports quoted in issue 14, which the keyword rules alone called standard.
QUOTED_URGENT = [
    "someone broke into the storage room last night, door smashed, equipment gone",
    "an extension cable under the reception desk started smoking",
    "someone is cutting the lock off a bike right now",
    "water is dripping fast from the ceiling onto the computers",
    "a bag has been left unattended in the lobby since this morning",
]
# What the hand-written set must reach (issue 14), as the service runs the model.
TARGETS = {"accuracy": 0.92, "urgent_recall": 0.95, "urgent_precision": 0.80}
# What the current recipe reaches on it, held so it cannot get worse unnoticed: the urgency
# targets are not met yet (recall 0.872, precision 0.976; see test_urgency_targets).
REACHED = {"accuracy": 0.92, "urgent_recall": 0.87, "urgent_precision": 0.95}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The checkpoint the service loads (MAINTENANCE_MODEL_DIR, else maintenance/model, which
    scripts/install.sh builds), read only. When it is missing or lacks its ONNX files, the
    tests build their own under a temporary folder: they never write into the repository."""
    installed = Path(os.environ.get("MAINTENANCE_MODEL_DIR") or MODEL_DIR)
    onnx_int8 = em.ONNX_FILES["onnx-int8"]
    has_urgency = (installed / "urgency_head.safetensors").is_file()
    if (installed / "config.json").is_file() and (installed / onnx_int8).is_file() and has_urgency:
        return installed
    built = tmp_path_factory.mktemp("classifier") / "model"
    if (installed / "config.json").is_file() and has_urgency:
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


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _split(name: str) -> tuple[list[str], list[str]]:
    rows = [r for r in _rows(DATA_CSV) if r["split"] == name]
    return [r["text"] for r in rows], [r["category"] for r in rows]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) - {"the", "a", "an", "in", "is", "and", "of", "to", "on",
                                                        "it", "my", "i", "its", "s", "there", "at", "for"}


# --- data set ---------------------------------------------------------------
@pytest.mark.fast
def test_dataset_shape_and_split_by_issue():
    rows = _rows(DATA_CSV)
    assert set(rows[0]) == {"text", "category", "urgency", "split", "issue"}
    for cat in em.CATEGORIES:
        cat_rows = [r for r in rows if r["category"] == cat]
        assert len(cat_rows) >= 150, cat
        test_share = sum(r["split"] == "test" for r in cat_rows) / len(cat_rows)
        assert 0.15 <= test_share <= 0.25, (cat, test_share)
    assert {r["category"] for r in rows} == set(em.CATEGORIES)
    assert {r["urgency"] for r in rows} == set(em.URGENCY_LABELS)
    assert sum(r["urgency"] == "urgent" for r in rows if r["split"] == "test") >= 30
    train_texts = {r["text"].lower() for r in rows if r["split"] == "train"}
    assert not any(r["text"].lower() in train_texts for r in rows if r["split"] == "test")
    # The default split is by issue: no issue has renderings on both sides.
    train_issues = {r["issue"] for r in rows if r["split"] == "train"}
    assert not {r["issue"] for r in rows if r["split"] == "test"} & train_issues


@pytest.mark.fast
def test_dataset_is_what_make_dataset_builds_from_the_data_files():
    sys.path.insert(0, str(MAINTENANCE / "training"))
    import make_dataset

    assert [list(r.values()) for r in _rows(DATA_CSV)] == make_dataset.build()
    source = (MAINTENANCE / "training" / "make_dataset.py").read_text()
    assert "Toilet overflowing" not in source          # the texts live in data/, not in the script


@pytest.mark.fast
def test_handwritten_eval_set_is_separate_and_big_enough():
    rows = _rows(EVAL_CSV)
    assert set(rows[0]) == {"text", "category", "urgency"}
    assert len(rows) >= 200 and sum(r["urgency"] == "urgent" for r in rows) >= 30
    assert {r["category"] for r in rows} == set(em.CATEGORIES)
    assert {r["urgency"] for r in rows} == set(em.URGENCY_LABELS)
    texts = [r["text"] for r in rows]
    assert len({t.lower() for t in texts}) == len(texts)
    for quoted in QUOTED_URGENT:
        assert any(r["text"] == quoted and r["urgency"] == "urgent" for r in rows), quoted
    # Never trained on: no text of the training data (rendered tickets, issues, hand-written
    # training reports) shares most of its words with a text of the evaluation set.
    training = ([r["text"] for r in _rows(DATA_CSV)] + [r["issue"] for r in _rows(DATA / "issues.csv")]
                + [r["text"] for r in _rows(DATA / "reports.csv")])
    train_words = [_words(t) for t in training]
    for text in texts:
        words = _words(text)
        overlap = max(len(words & w) / len(words | w) for w in train_words)
        assert overlap < 0.6, (text, overlap)


# --- model quality ------------------------------------------------------------
def test_heldout_accuracy(clf):
    texts, labels = _split("test")
    preds = []
    for i in range(0, len(texts), 64):
        preds += [c.category for c in clf.classify(texts[i:i + 64])]
    accuracy = sum(p == y for p, y in zip(preds, labels)) / len(labels)
    # Split by issue: every test ticket is a problem never seen in training.
    assert accuracy >= 0.85, f"held-out accuracy {accuracy:.3f} < 0.85"


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


# --- the hand-written set: the targets of issue 14 ----------------------------------------
def test_metrics_json_reports_the_handwritten_set(model_dir):
    metrics = json.loads((model_dir / "metrics.json").read_text())
    hand = metrics["handwritten"]
    assert hand["n"] == len(_rows(EVAL_CSV)) and hand["n_urgent"] >= 30
    assert hand["accuracy"] >= TARGETS["accuracy"], f"hand-written accuracy {hand['accuracy']:.3f}"
    for key, floor in REACHED.items():
        assert hand[key] >= floor, f"hand-written {key} {hand[key]:.3f} < {floor} (it was reached before)"
    assert 0.0 <= hand["macro_f1"] <= 1.0
    split = metrics["test_split"]
    assert split["split_by"] == "issue" and split["n"] == len(_split("test")[0])
    for key in ("accuracy", "macro_f1", "urgent_recall", "urgent_precision"):
        assert 0.0 <= split[key] <= 1.0


@pytest.mark.xfail(strict=True, reason="issue 14's urgency targets on the hand-written set are not met yet: "
                   "urgent recall 0.872 (target 0.95; precision 0.976, target 0.80); remove this mark when met")
def test_urgency_targets_on_the_handwritten_set(model_dir):
    hand = json.loads((model_dir / "metrics.json").read_text())["handwritten"]
    for key, target in TARGETS.items():
        assert hand[key] >= target, f"hand-written {key} {hand[key]:.3f} < {target}"


def test_handwritten_metrics_are_those_of_the_model_the_service_loads(clf, model_dir):
    """metrics.json is not stale: the served runtime, run again on the hand-written set,
    gives its figures (int8 activations are quantised per batch: allow a ticket or two)."""
    rows = _rows(EVAL_CSV)
    texts = [r["text"] for r in rows]
    results = []
    for i in range(0, len(texts), 32):
        results += clf.classify(texts[i:i + 32])
    accuracy = sum(r.category == row["category"] for r, row in zip(results, rows)) / len(rows)
    priority = [em.decide_priority(t, r.urgency)[0] for t, r in zip(texts, results)]
    urgent = [row["urgency"] == "urgent" for row in rows]
    hits = sum(p == "urgent" and u for p, u in zip(priority, urgent))
    recall, precision = hits / sum(urgent), hits / max(1, priority.count("urgent"))
    hand = json.loads((model_dir / "metrics.json").read_text())["handwritten"]
    assert accuracy == pytest.approx(hand["accuracy"], abs=2.5 / len(rows))
    assert recall == pytest.approx(hand["urgent_recall"], abs=2.5 / sum(urgent))
    assert precision == pytest.approx(hand["urgent_precision"], abs=0.03)
    assert accuracy >= REACHED["accuracy"] and recall >= REACHED["urgent_recall"]
    assert precision >= REACHED["urgent_precision"]


def test_urgency_is_a_model_output_beside_the_category(clf, model_dir):
    assert clf.has_urgency and 0.0 < clf.urgency_threshold < 1.0
    results = clf.classify(QUOTED_URGENT + ["The drawer of the desk in my office sticks a little",
                                            "can someone refill the soap in the 2nd floor toilets"])
    assert all(r.urgency in em.URGENCY_LABELS and 0.0 <= r.urgency_score <= 1.0 for r in results)
    assert [r.urgency for r in results[-2:]] == ["standard", "standard"]
    # The model ranks the quoted urgent reports the rules miss well above ordinary ones.
    missed = [r for t, r in zip(QUOTED_URGENT, results) if em.assess_priority(t) == "standard"]
    assert missed and min(r.urgency_score for r in missed) > max(r.urgency_score for r in results[-2:]) + 0.2
    # One pass gives both, and the same as the separate calls.
    both, vectors = clf.classify_and_embed(QUOTED_URGENT[:2])
    assert [b.category for b in both] == [r.category for r in results[:2]]
    assert [b.urgency for b in both] == [r.urgency for r in results[:2]]
    assert vectors.shape == (2, 384)


def test_onnx_graphs_carry_both_heads(model_dir):
    import onnxruntime as ort

    for name in em.ONNX_FILES.values():
        session = ort.InferenceSession(str(model_dir / name), providers=["CPUExecutionProvider"])
        assert [o.name for o in session.get_outputs()] == ["logits", "urgency", "mean"]
    config = json.loads((model_dir / "config.json").read_text())
    assert config["urgency_labels"] == em.URGENCY_LABELS
    assert (model_dir / config["urgency_head"]).is_file()


# --- the rules are a floor under the model's urgency -------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("text,rules", [
    ("Outlet sparked and there's smoke", "urgent"), ("Burst pipe in the basement", "urgent"),
    ("There is an intruder on the 3rd floor", "urgent"),
    ("no smoke, just a rattle", "standard"), ("The sink drips slowly", "standard"),
    ("the toilet upstairs overflowed and it is coming through our ceiling", "standard"),
])
def test_rules_are_a_floor_that_raises_and_never_lowers(text, rules):
    assert em.assess_priority(text) == rules
    # (model urgency) -> (priority, decided by)
    expected = {"urgent": {"urgent": ("urgent", "model+rules"), "standard": ("urgent", "rules"),
                           None: ("urgent", "rules")},
                "standard": {"urgent": ("urgent", "model"), "standard": ("standard", "model+rules"),
                             None: ("standard", "rules")}}[rules]
    for model, outcome in expected.items():
        assert em.decide_priority(text, model) == outcome, (text, model)


@pytest.mark.fast
def test_the_service_analyzer_applies_the_floor_to_the_model_urgency():
    from maintenance_service.classifier import Analyzer

    class StandIn:
        method = "model"

        def __init__(self, urgency):
            self.urgency = urgency

        def classify(self, texts):
            return [em.Classification("Electrical", 0.9, self.method, self.urgency, 0.5) for _ in texts]

        def embed(self, texts):
            return None

    calm, alarmed = Analyzer(StandIn("standard")), Analyzer(StandIn("urgent"))
    assert [(a.priority, a.priority_source) for a in calm.analyse(["sparks and smoke from the socket",
                                                                   "the socket is loose"])] == [
        ("urgent", "rules"), ("standard", "model+rules")]
    assert [(a.priority, a.priority_source) for a in alarmed.analyse(["the socket is loose"])] == [
        ("urgent", "model")]
    keywords = Analyzer(em.KeywordClassifier())
    assert [(a.priority, a.priority_source) for a in keywords.analyse(["sparks from the socket",
                                                                       "the socket is loose"])] == [
        ("urgent", "rules"), ("standard", "rules")]


def test_quoted_urgent_reports_come_out_urgent_through_the_service(make_stack, model_dir):
    """POST /tickets with the reports issue 14 quotes, on SQLite with the trained model:
    every one is urgent; those the rules miss are urgent by the model, as the history says."""
    platform = make_stack("sqlite", {"MAINTENANCE_MODEL_DIR": str(model_dir)}).start(
        ["gateway", "user-management", "maintenance"])
    student, admin = platform.token("student"), platform.token("admin")
    for text in QUOTED_URGENT:
        response = platform.api("POST", "/api/maintenance/tickets", student,
                                json={"title": text[:60], "description": text})
        assert response.status_code == 201, response.text
        ticket = response.json()
        assert ticket["classification_method"] == "model"
        assert ticket["priority"] == "urgent", text
        again = platform.api("GET", f"/api/maintenance/tickets/{ticket['id']}", admin).json()
        assert again["priority"] == "urgent"
        classified = [e for e in again["history"] if e["event_type"] == "classified"]
        decided = re.search(r"priority urgent \(decided by (model|rules|model\+rules)\)", classified[0]["comment"])
        assert decided, classified
        if em.assess_priority(text) == "standard":        # what the keyword rules alone missed
            assert decided.group(1) == "model", (text, classified[0]["comment"])
    calm = platform.api("POST", "/api/maintenance/tickets", student,
                        json={"title": "Desk drawer sticks", "description": "The drawer of my desk sticks a little"})
    assert calm.status_code == 201 and calm.json()["priority"] == "standard"


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
    assert metrics["accuracy"] >= 0.85


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
    "an extension cable under the reception desk started smoking",
    "someone broke into the storage room last night",
    "a bag has been left unattended in the lobby since this morning",
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
    "the smoking area by the library is full of litter",
    "my bag was left in the lecture hall, is there a lost and found?",
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
