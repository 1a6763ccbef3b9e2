"""Offline ticket classification, priority and impact rules for the maintenance service.

Public interface
----------------
- ``CATEGORIES``, ``DEPARTMENT_BY_CATEGORY``
- ``Classification(category, confidence, method)``
- ``ModelClassifier(model_dir, max_length=64, runtime=DEFAULT_RUNTIME)``: a fine-tuned
  transformers sequence-classification checkpoint on CPU. ``classify(texts)`` and
  ``embed(texts)``.
- ``KeywordClassifier()``: rule-based fallback with the same interface; its
  ``embed`` returns ``None`` (no embeddings, callers skip duplicate detection).
- ``load_classifier(model_dir, runtime=None)``: never raises; falls back to keywords.
- ``export_onnx(model_dir)``: writes the ONNX Runtime files beside a checkpoint
  (also ``python maintenance/enhanced_model.py export-onnx [model_dir]``).
- ``assess_priority(text)``, ``assess_impact(text)``, ``sla_hours(priority, category)``.

Nothing heavy happens at import time: onnxruntime, or torch/transformers, are imported
inside ``ModelClassifier`` so the service (and the keyword fallback) start instantly.
The confidence threshold is the service's business, not this module's.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CATEGORIES = ["Plumbing", "Electrical", "HVAC", "Carpentry", "Cleaning", "IT", "Security", "Other"]

DEPARTMENT_BY_CATEGORY = {
    "Plumbing": "Facilities",
    "Electrical": "Facilities",
    "HVAC": "Facilities",
    "Carpentry": "Facilities",
    "Cleaning": "Custodial",
    "IT": "IT Support",
    "Security": "Security",
    "Other": "General",
}

RUNTIMES = ("fp32", "bf16", "int8", "onnx-fp32", "onnx-int8")
# onnx-int8 (ONNX Runtime, int8 weights) has the lowest single-ticket latency and by far
# the fastest cold start (no torch import), and keeps fp32's held-out accuracy on our
# checkpoint; torch bf16 has the highest batch throughput on CPUs with AMX/AVX512-BF16.
# See bench/bench_classifier.py and docs/benchmarks.md.
DEFAULT_RUNTIME = "onnx-int8"
# The ONNX files, written beside the checkpoint by export_onnx() (train.py calls it).
ONNX_FILES = {"onnx-fp32": "onnx/model.onnx", "onnx-int8": "onnx/model.int8.onnx"}
CHUNK = 8  # tickets per ONNX Runtime call within a batch (see ModelClassifier._init_onnx)


@dataclass
class Classification:
    category: str
    confidence: float  # in [0, 1]
    method: str  # "model" or "keywords"


# ---------------------------------------------------------------------------
# Model-based classifier
# ---------------------------------------------------------------------------
class ModelClassifier:
    """A fine-tuned sequence-classification checkpoint, run on CPU.

    Works with our own checkpoint (DistilBERT, mean-pooled head, see
    ``maintenance/training/train.py``) and with any stock transformers
    sequence-classification checkpoint (e.g. a fine-tuned distilbert-base-uncased):
    the pooling is read from ``config.classifier_pooling`` ("mean"; anything
    else, or absent, means the model's own head is used unchanged).

    ``runtime``: "fp32" (plain torch), "bf16" (weights and activations in
    bfloat16; fast where the CPU has AVX512-BF16/AMX, slow elsewhere), "int8"
    (torch dynamic quantisation of the encoder's Linear layers, per output
    channel; the small classification head stays fp32 because quantising it
    cost accuracy), or "onnx-fp32"/"onnx-int8" (ONNX Runtime on the files
    export_onnx() writes; int8 weights, activations quantised per call, so a
    ticket's confidence can differ in the third decimal with its batch).
    """

    method = "model"

    def __init__(self, model_dir: str | os.PathLike, max_length: int = 64, runtime: str = DEFAULT_RUNTIME,
                 num_threads: int | None = None):
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
        self.model_dir = Path(model_dir)
        self.max_length = max_length
        self.runtime = runtime
        # Intra-op threads: one per core, capped; more threads than cores only
        # adds contention (the service may run several workers).
        self.threads = num_threads or min(4, os.cpu_count() or 1)
        config = json.loads((self.model_dir / "config.json").read_text())
        self.labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        self.pooling = config.get("classifier_pooling", "cls")
        self.hidden_size = config.get("dim") or config.get("hidden_size")
        if runtime in ONNX_FILES:
            self._init_onnx()
        else:
            self._init_torch()

    def _init_onnx(self) -> None:
        """ONNX Runtime with the fast tokenizer straight from tokenizer.json: no torch,
        no transformers, hence a cold start of about a second."""
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = self.model_dir / ONNX_FILES[self.runtime]
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; build it with: python maintenance/enhanced_model.py "
                                    f"export-onnx {self.model_dir}")
        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()                  # padded per chunk below
        pad_id = tokenizer.token_to_id("[PAD]") or 0
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


        def run(encoded):
            width = max(len(e.ids) for e in encoded)
            ids = np.full((len(encoded), width), pad_id, np.int64)
            mask = np.zeros((len(encoded), width), np.int64)
            for row, e in enumerate(encoded):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
            return session.run(["logits", "mean"], {"input_ids": ids, "attention_mask": mask})

        def forward(texts: list[str]):
            # A batch is run in chunks of similar length, so short tickets are not
            # padded to the longest one (padding is most of the work otherwise).
            encoded = tokenizer.encode_batch(list(texts))
            order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
            logits = np.zeros((len(encoded), len(self.labels)), np.float32)
            mean = np.zeros((len(encoded), self.hidden_size), np.float32)
            for start in range(0, len(order), CHUNK):
                chunk = order[start:start + CHUNK]
                chunk_logits, chunk_mean = run([encoded[i] for i in chunk])
                logits[chunk], mean[chunk] = chunk_logits, chunk_mean
            return logits, mean

        self.tokenizer = tokenizer
        self._forward = forward

    def _init_torch(self) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
        # Never trust_remote_code: the stock class is loaded and, for our mean-pooled
        # checkpoint, pooling is applied here (see PooledHead).
        model = AutoModelForSequenceClassification.from_pretrained(str(self.model_dir), local_files_only=True)
        model.eval()
        if self.pooling == "mean" and not (hasattr(model, "pre_classifier") and hasattr(model, "classifier")):
            raise ValueError("classifier_pooling='mean' is only supported for DistilBERT-style heads")
        if self.runtime == "int8":
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            base = model.base_model_prefix
            spec = {name: per_channel_dynamic_qconfig for name, mod in model.named_modules()
                    if isinstance(mod, torch.nn.Linear) and name.startswith(base + ".")}
            with warnings.catch_warnings():
                # torch marks eager-mode quantisation deprecated; it is still the
                # way to get int8 Linear kernels on CPU in this version.
                warnings.simplefilter("ignore")
                model = quantize_dynamic(model, spec, dtype=torch.qint8)
        elif self.runtime == "bf16":
            model = model.to(torch.bfloat16)
        self.model = model
        head = PooledHead(model, self.pooling).eval()
        # Only pass what the encoder accepts (DistilBERT has no token_type_ids).
        import inspect

        accepted = inspect.signature(model.base_model.forward).parameters
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted]

        def forward(texts: list[str]):
            enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
            with torch.inference_mode():
                logits, mean = head(**{k: v for k, v in enc.items() if k in names})
            return logits.float().numpy(), mean.float().numpy()

        self._forward = forward

    # -- public API ----------------------------------------------------------
    def classify(self, texts: list[str]) -> list[Classification]:
        """Classify a batch of tickets in one forward pass."""
        import numpy as np

        if not texts:
            return []
        logits, _ = self._forward(texts)
        logits = logits - logits.max(-1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        best = probs.argmax(-1)
        return [Classification(self.labels[int(i)], float(p[i]), self.method) for p, i in zip(probs, best)]

    def embed(self, texts: list[str]):
        """L2-normalised mean-pooled encoder embeddings, numpy float32 of shape (n, hidden)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        _, mean = self._forward(texts)
        norms = np.linalg.norm(mean, axis=-1, keepdims=True)
        return (mean / np.maximum(norms, 1e-12)).astype(np.float32)


def _pooled_head_class():
    import torch

    class _PooledHead(torch.nn.Module):
        """Encoder + classification head in one module: (logits, mean-pooled hidden states).

        The DistilBERT head is applied by hand so both poolings share one encoder pass;
        other architectures use their own head. Also the graph that export_onnx() saves."""

        def __init__(self, model, pooling: str):
            super().__init__()
            self.model = model
            self.pooling = pooling

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                inputs["token_type_ids"] = token_type_ids
            hidden = self.model.base_model(**inputs).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            if hasattr(self.model, "pre_classifier") and hasattr(self.model, "classifier"):
                pooled = mean if self.pooling == "mean" else hidden[:, 0]
                logits = self.model.classifier(torch.relu(self.model.pre_classifier(pooled)))
            else:
                logits = self.model(**inputs).logits
            return logits, mean

    return _PooledHead


def PooledHead(model, pooling: str):  # noqa: N802 - a class made lazily (torch imported on use)
    return _pooled_head_class()(model, pooling)


def export_onnx(model_dir: str | os.PathLike) -> dict[str, Path]:
    """Write onnx/model.onnx and its int8 quantisation onnx/model.int8.onnx beside the
    checkpoint (the onnx-fp32 and onnx-int8 runtimes). Needs torch, onnx, onnxruntime."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True).eval()
    head = PooledHead(model, config.get("classifier_pooling", "cls")).eval()
    sample = tokenizer(["The projector in room 101 is broken", "A leaking tap"], padding=True, return_tensors="pt")
    target = {runtime: model_dir / name for runtime, name in ONNX_FILES.items()}
    target["onnx-fp32"].parent.mkdir(parents=True, exist_ok=True)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "logits": {0: "batch"}, "mean": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # The TorchScript exporter: its graph quantises cleanly with ONNX Runtime.
        torch.onnx.export(head, (sample["input_ids"], sample["attention_mask"]), str(target["onnx-fp32"]),
                          input_names=["input_ids", "attention_mask"], output_names=["logits", "mean"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    quantize_dynamic(str(target["onnx-fp32"]), str(target["onnx-int8"]), weight_type=QuantType.QInt8,
                     per_channel=True)
    return target


# ---------------------------------------------------------------------------
# Keyword fallback
# ---------------------------------------------------------------------------
# (pattern, weight). Multi-word and unambiguous terms weigh more.
_KEYWORDS: dict[str, list[tuple[str, float]]] = {
    "Plumbing": [(r"toilets?", 2), (r"sinks?", 1.5), (r"leak(s|ing|y)?", 1.5), (r"pipes?", 1.5), (r"drains?", 1.5),
                 (r"clog(ged)?", 2), (r"faucets?|taps?", 1.5), (r"showers?", 1), (r"urinals?", 2),
                 (r"(hot|cold) water", 2), (r"water pressure", 2), (r"overflow(ing|ed)?", 1.5), (r"flush(es|ing)?", 1.5),
                 (r"plumb(ing|er)", 3), (r"sewage|sewer", 2), (r"(water )?fountain", 1), (r"dripping", 1)],
    "Electrical": [(r"lights?|lighting", 1.5), (r"bulbs?", 2), (r"outlets?|sockets?", 2.5), (r"breakers?", 2.5),
                   (r"power (is )?(out|outage)|no power|lost power|power outage", 2.5), (r"flicker(s|ing)?", 1.5),
                   (r"wir(es|ing)", 2), (r"spark(s|ing|ed)?", 2), (r"switch(es)?", 1.5), (r"electric(al|ity)?", 2.5),
                   (r"fuse", 2), (r"light fixture", 2)],
    "HVAC": [(r"heat(ing|er)?", 2), (r"a/?c\b|air ?con(ditioning)?", 2.5), (r"thermostat", 3), (r"radiators?", 3),
             (r"vents?|ventilation", 2), (r"hvac", 3), (r"(too )?(hot|cold)|freezing|stuffy", 1), (r"furnace|boiler", 3),
             (r"temperature", 1.5), (r"humid(ity)?", 1.5), (r"air ?flow|fume hood", 2), (r"exhaust fan", 2)],
    "Carpentry": [(r"doors?", 1), (r"hinges?", 2.5), (r"drawers?", 2), (r"shel(f|ves)", 2), (r"cabinets?", 2),
                  (r"desks?|tables?|chairs?", 1), (r"window frame|sill", 2), (r"handrail|railing", 2.5),
                  (r"floorboards?|boards?|planks?", 2), (r"wood(en)?", 2), (r"bed frame|bunk|wardrobe|closet", 2),
                  (r"drywall|ceiling tile", 2), (r"wobbly|loose|broken", 0.5)],
    "Cleaning": [(r"trash|garbage|rubbish", 2.5), (r"spill(ed|s)?", 2), (r"dirty|filthy|gross|grime", 2),
                 (r"vomit|threw up|puke", 3), (r"clean(ing|ed)?", 2), (r"mop|vacuum|sweep", 2.5), (r"stains?", 2),
                 (r"toilet paper|paper towels?|soap", 2), (r"smell(s|y)?|odou?r", 1), (r"sticky", 2), (r"graffiti", 2.5),
                 (r"recycling", 2), (r"mess(y)?", 2), (r"dust(y)?", 1.5)],
    "IT": [(r"projectors?", 3), (r"wi-?fi|wireless|internet|network", 3), (r"printers?", 3), (r"log ?in|password", 3),
           (r"computers?|pcs?|laptops?", 2.5), (r"monitors?|screen|display", 2), (r"hdmi|usb-?c?|ethernet", 3),
           (r"email|outlook|canvas|portal|vpn|software|account", 2.5), (r"speakers?|microphone|mic|audio", 2),
           (r"zoom|teams|smartboard|webcam|camera", 1.5), (r"eduroam", 3)],
    "Security": [(r"stolen|theft|steal|stole", 3), (r"break-?in|broken into|broke in", 3), (r"intruder", 3),
                 (r"suspicious", 3), (r"card reader|key ?card|id card|fob|access", 2.5), (r"locked out", 3),
                 (r"lock(s|ed)?", 1.5), (r"alarm", 2), (r"security|guard", 2.5), (r"propped open|propping", 2.5),
                 (r"harass(ing|ment)?|following|threat(ening)?", 2.5), (r"cctv|surveillance", 3), (r"vandali[sz]ed", 2.5)],
    "Other": [(r"elevator|escalator|lift", 3), (r"mice|mouse|rats?|cockroach(es)?|ants|bed ?bugs|wasps?|bees|pests?", 3),
              (r"pothole|sidewalk|snow|ice|icy|salt", 2.5), (r"trees?|branch(es)?|grass|lawn|weeds", 2.5),
              (r"vending machine|washing machines?|dryer|microwave|fridge|oven|toaster", 2.5),
              (r"lost and found|parking|shuttle", 2.5)],
}
_COMPILED = {c: [(re.compile(rf"\b(?:{p})\b", re.I), w) for p, w in rules] for c, rules in _KEYWORDS.items()}


class KeywordClassifier:
    """Rule-based fallback used when no model checkpoint can be loaded.

    Confidence is the winning category's share of the matched keyword weight,
    scaled into [0.3, 0.9] (keyword matches never justify near-certainty);
    with no match at all the ticket is "Other" with confidence 0.2.
    """

    method = "keywords"

    def classify(self, texts: list[str]) -> list[Classification]:
        return [self._classify_one(t) for t in texts]

    def _classify_one(self, text: str) -> Classification:
        scores = {c: sum(w * len(p.findall(text or "")) for p, w in rules) for c, rules in _COMPILED.items()}
        total = sum(scores.values())
        if total == 0:
            return Classification("Other", 0.2, self.method)
        best = max(CATEGORIES, key=lambda c: scores[c])  # ties: earlier category in CATEGORIES
        share = scores[best] / total
        return Classification(best, round(0.3 + 0.6 * share, 3), self.method)

    def embed(self, texts: list[str]) -> None:
        """No embeddings without a model: returns None so callers skip duplicate detection."""
        return None


def load_classifier(model_dir: str | os.PathLike | None, runtime: str | None = None,
                    max_length: int = 64) -> ModelClassifier | KeywordClassifier:
    """Load the model classifier, or fall back to keywords. Never raises.

    ``runtime`` None means ``DEFAULT_RUNTIME``; the service passes the value of
    MAINTENANCE_MODEL_RUNTIME.
    """
    if not model_dir:
        logger.warning("no model directory configured; using keyword classifier")
        return KeywordClassifier()
    path = Path(model_dir)
    if not (path / "config.json").is_file():
        logger.warning("model directory %s missing or has no config.json; using keyword classifier", path)
        return KeywordClassifier()
    runtime = runtime or DEFAULT_RUNTIME
    if runtime in ONNX_FILES and not (path / ONNX_FILES[runtime]).is_file():
        logger.warning("%s has no %s (run: python maintenance/enhanced_model.py export-onnx %s); "
                       "using the torch fp32 runtime", path, ONNX_FILES[runtime], path)
        runtime = "fp32"
    try:
        return ModelClassifier(path, max_length=max_length, runtime=runtime)
    except Exception as exc:  # any load failure must degrade, not crash the service
        logger.warning("could not load model from %s (%s: %s); using keyword classifier",
                       path, type(exc).__name__, exc)
        return KeywordClassifier()


# ---------------------------------------------------------------------------
# Priority, impact, SLA
# ---------------------------------------------------------------------------
# Danger to people. Used for both priority (urgent) and impact ("safety").
_DANGER = [
    r"fire(?!\s*(?:extinguisher|door|exit|drill|escape|hydrant|marshal|alarm))", r"on fire", r"flames?",
    r"smoke(?!\s*(?:detector|alarm))", r"smoky", r"burning( smell)?", r"smell(?:s|ing)? (?:of|like) burning",
    r"burnt smell", r"sparks?", r"sparking", r"sparked", r"exposed wir(?:es|ing)", r"wires? (?:are |is )?exposed",
    r"(?:electric(?:al)? )?shock(?:ed)?", r"gas (?:leak|smell|odou?r)", r"smell(?:s|ing)?(?: of| like)? gas",
    r"gas is leaking", r"leaking gas", r"carbon monoxide", r"injur(?:y|ies|ed)", r"hurt", r"bleeding", r"unconscious", r"break-?in", r"broken into",
    r"broke in", r"breaking in", r"intruders?", r"weapon", r"gun", r"knife",
    r"alarm (?:is )?(?:going off|sounding|ringing|went off)", r"alarm went off", r"trapped",
    r"stuck in (?:the |an )?elevator",
]
# Damage in progress (urgent, but not necessarily a danger to people).
_DAMAGE = [
    r"flood(?:s|ing|ed)?", r"burst(?: pipe)?", r"pipe (?:has )?burst", r"water (?:is )?(?:pouring|gushing|spraying)",
    r"spraying", r"sewage (?:backup|backing up)", r"ceiling (?:is )?(?:collapsing|caving|collapsed)",
]
_DANGER_RE = re.compile(r"\b(?:" + "|".join(_DANGER) + r")\b", re.I)
_DAMAGE_RE = re.compile(r"\b(?:" + "|".join(_DAMAGE) + r")\b", re.I)

_NEGATORS = {"no", "not", "without", "never", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "don't",
             "dont", "doesn't", "doesnt", "didn't", "didnt", "nobody", "none", "nothing", "neither", "nor",
             "hasn't", "hasnt", "haven't", "havent", "n't",
             # hedges: "almost got hurt" reports a near miss, not an injury in progress
             "almost", "nearly"}
_NEGATION_WINDOW = 3  # words between the negator and the danger word
# Clause boundaries end the scope of a negation: punctuation and contrastive words.
_CLAUSE_SPLIT = re.compile(r"[.,;:!?\n]+|\b(?:but|however|although|though|and then|yet)\b", re.I)
_WORD = re.compile(r"[a-z']+")


def _affirmed(pattern: re.Pattern, text: str) -> bool:
    """True if ``pattern`` matches somewhere not negated within its clause.

    "no smoke, just a rattle", "there is no fire but the heater rattles" and
    "not sparking" are negated; "smoke, no fire" still affirms smoke.
    """
    for clause in _CLAUSE_SPLIT.split(text or ""):
        for m in pattern.finditer(clause):
            before = _WORD.findall(clause[: m.start()].lower().replace("’", "'"))
            window = before[-(_NEGATION_WINDOW + 1):]
            if not any(w in _NEGATORS or w.endswith("n't") for w in window):
                return True
    return False


def assess_priority(text: str) -> str:
    """"urgent" for danger to people or damage in progress, else "standard"."""
    if _affirmed(_DANGER_RE, text) or _affirmed(_DAMAGE_RE, text):
        return "urgent"
    return "standard"


_BUILDING_RE = re.compile(
    r"\b(?:entire|whole) (?:building|dorm|hall|residence|library|campus)\b|\bcampus[- ]wide\b|\bbuilding[- ]wide\b"
    r"|\ball (?:the )?floors\b|\bevery floor\b|\b(?:whole|entire) (?:\w+ )?(?:building|dorm)\b", re.I)
_ROOM_WORDS = r"(?:restroom|bathroom|toilets?|office|room|kitchen(?:ette)?|lab|lounge|classroom|closet|suite|shower)"
_FLOOR_RE = re.compile(
    r"\b(?:whole|entire) floor\b|\ball (?:the )?rooms on\b|\bhall ?ways?\b|\bcorridors?\b|\bstairwells?\b"
    r"|\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|ground|top) floor\b(?!\s+" + _ROOM_WORDS + r"\b)",
    re.I)


def assess_impact(text: str) -> str:
    """One of "safety", "building", "floor", "room".

    safety: an affirmed danger to people (fire, sparks, gas, injury, intruder...).
    building: whole-building wording ("entire building", "whole dorm", "campus-wide", "all floors").
    floor: "whole floor", hallway/corridor/stairwell, or "3rd floor" when it is not just
    naming where a single room is ("3rd floor bathroom" stays "room").
    room: everything else.
    """
    if _affirmed(_DANGER_RE, text):
        return "safety"
    if _BUILDING_RE.search(text or ""):
        return "building"
    if _FLOOR_RE.search(text or ""):
        return "floor"
    return "room"


# Response targets. Security incidents that are urgent get half the usual
# urgent window (people may be at risk); everything else uses the defaults.
URGENT_SLA_OVERRIDES = {"Security": 2}


def sla_hours(priority: str, category: str, urgent_hours: int = 4, standard_hours: int = 72) -> int:
    """Hours until the ticket should be resolved.

    urgent: 2 h for Security, ``urgent_hours`` (default 4) otherwise.
    standard: ``standard_hours`` (default 72) for every category.
    """
    if priority == "urgent":
        return int(URGENT_SLA_OVERRIDES.get(category, urgent_hours))
    return int(standard_hours)


if __name__ == "__main__":
    # python maintenance/enhanced_model.py export-onnx [model_dir]
    if len(sys.argv) >= 2 and sys.argv[1] == "export-onnx":
        directory = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent / "model"
        for name, written in export_onnx(directory).items():
            print(f"{name}: {written} ({written.stat().st_size >> 20} MiB)")
    else:
        sys.exit("usage: python maintenance/enhanced_model.py export-onnx [model_dir]")
