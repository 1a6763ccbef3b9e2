"""Running the trained classifier on CPU: category, urgency and embedding in one pass.

- ``ModelClassifier(model_dir, max_length=64, runtime=DEFAULT_RUNTIME)``: a fine-tuned
  transformers sequence-classification checkpoint (with, when trained by train.py, an
  urgency head beside it). ``classify(texts)`` gives each ticket's category and, when the
  checkpoint has an urgency head, the model's urgency; ``embed(texts)`` the L2-normalised
  embeddings; ``classify_and_embed(texts)`` both from one encoder pass (what the service uses).
- ``load_classifier(model_dir, runtime=None)``: never raises; falls back to the keyword
  classifier (rules.KeywordClassifier) when there is no loadable model.

onnxruntime, or torch/transformers, are imported inside ``ModelClassifier``, so the
service (and the keyword fallback) start instantly.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from .export import ONNX_FILES
from .graph import PooledHead, load_urgency_head, read_config
from .rules import URGENCY_LABELS, Classification, KeywordClassifier

logger = logging.getLogger("enhanced_model")

RUNTIMES = ("fp32", "bf16", "int8", "onnx-fp32", "onnx-int8")
# onnx-int8 (ONNX Runtime, int8 weights) has the lowest single-ticket latency and by far
# the fastest cold start (no torch import), and keeps fp32's held-out accuracy on our
# checkpoint; torch bf16 has the highest batch throughput on CPUs with AMX/AVX512-BF16.
# See bench/bench_classifier.py and docs/benchmarks.md.
DEFAULT_RUNTIME = "onnx-int8"
CHUNK = 8  # tickets per ONNX Runtime call within a batch (see ModelClassifier._init_onnx)
DEFAULT_URGENCY_THRESHOLD = 0.5


class ModelClassifier:
    """A fine-tuned sequence-classification checkpoint, run on CPU.

    Works with our own checkpoint (DistilBERT, mean-pooled heads, see
    ``maintenance/training/train.py``) and with any stock transformers
    sequence-classification checkpoint (e.g. a fine-tuned distilbert-base-uncased):
    the pooling is read from ``config.classifier_pooling`` ("mean"; anything
    else, or absent, means the model's own head is used unchanged). A checkpoint
    without an urgency head classifies with ``urgency=None`` (the rules decide).

    ``runtime``: "fp32" (plain torch), "bf16" (weights and activations in
    bfloat16; fast where the CPU has AVX512-BF16/AMX, slow elsewhere), "int8"
    (torch dynamic quantisation of the encoder's Linear layers, per output
    channel; the small heads stay fp32 because quantising them cost accuracy),
    or "onnx-fp32"/"onnx-int8" (ONNX Runtime on the files export_onnx() writes;
    int8 weights, activations quantised per call, so a ticket's confidence can
    differ in the third decimal with its batch).
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
        config = read_config(self.model_dir)
        self.config = config
        self.labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        self.pooling = config.get("classifier_pooling", "cls")
        self.hidden_size = config.get("dim") or config.get("hidden_size")
        self.urgency_labels = list(config.get("urgency_labels") or URGENCY_LABELS)
        self.urgency_threshold = float(config.get("urgency_threshold", DEFAULT_URGENCY_THRESHOLD))
        self.has_urgency = bool(config.get("urgency_head")) and (self.model_dir / config["urgency_head"]).is_file()
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
        outputs = [o.name for o in session.get_outputs()]
        if self.has_urgency and "urgency" not in outputs:
            # ONNX files exported before the urgency head: category only, rules decide priority.
            logger.warning("%s has no urgency output (re-export: python maintenance/enhanced_model.py "
                           "export-onnx %s); priority from the rules only", path, self.model_dir)
            self.has_urgency = False
        wanted = ["logits", "urgency", "mean"] if "urgency" in outputs else ["logits", "mean"]

        def run(encoded):
            width = max(len(e.ids) for e in encoded)
            ids = np.full((len(encoded), width), pad_id, np.int64)
            mask = np.zeros((len(encoded), width), np.int64)
            for row, e in enumerate(encoded):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
            result = session.run(wanted, {"input_ids": ids, "attention_mask": mask})
            if len(result) == 2:
                result = [result[0], np.zeros((len(encoded), 2), np.float32), result[1]]
            return result

        def forward(texts: list[str]):
            # A batch is run in chunks of similar length, so short tickets are not
            # padded to the longest one (padding is most of the work otherwise).
            encoded = tokenizer.encode_batch(list(texts))
            order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
            logits = np.zeros((len(encoded), len(self.labels)), np.float32)
            urgency = np.zeros((len(encoded), 2), np.float32)
            mean = np.zeros((len(encoded), self.hidden_size), np.float32)
            for start in range(0, len(order), CHUNK):
                chunk = order[start:start + CHUNK]
                logits[chunk], urgency[chunk], mean[chunk] = run([encoded[i] for i in chunk])
            return logits, urgency, mean

        self.tokenizer = tokenizer
        self._forward = forward

    def _init_torch(self) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
        # Never trust_remote_code: the stock class is loaded and, for our mean-pooled
        # checkpoint, pooling is applied here (see graph.PooledHead).
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
        urgency = load_urgency_head(self.model_dir, self.config) if self.has_urgency else None
        head = PooledHead(model, self.pooling, urgency).eval()
        # Only pass what the encoder accepts (DistilBERT has no token_type_ids).
        import inspect

        accepted = inspect.signature(model.base_model.forward).parameters
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted]

        def forward(texts: list[str]):
            enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
            with torch.inference_mode():
                logits, urgency_logits, mean = head(**{k: v for k, v in enc.items() if k in names})
            return logits.float().numpy(), urgency_logits.float().numpy(), mean.float().numpy()

        self._forward = forward

    # -- public API ----------------------------------------------------------
    def _classifications(self, logits, urgency_logits) -> list[Classification]:
        probs = _softmax(logits)
        best = probs.argmax(-1)
        if self.has_urgency:
            urgent_col = self.urgency_labels.index("urgent")
            p_urgent = _softmax(urgency_logits)[:, urgent_col]
            return [Classification(self.labels[int(i)], float(p[i]), self.method,
                                   "urgent" if float(u) >= self.urgency_threshold else "standard", float(u))
                    for p, i, u in zip(probs, best, p_urgent)]
        return [Classification(self.labels[int(i)], float(p[i]), self.method) for p, i in zip(probs, best)]

    def classify(self, texts: list[str]) -> list[Classification]:
        """Category (and urgency, when the checkpoint has the head) for a batch, one forward pass."""
        if not texts:
            return []
        logits, urgency, _ = self._forward(texts)
        return self._classifications(logits, urgency)

    def embed(self, texts: list[str]):
        """L2-normalised mean-pooled encoder embeddings, numpy float32 of shape (n, hidden)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        _, _, mean = self._forward(texts)
        return _normalise(mean)

    def classify_and_embed(self, texts: list[str]):
        """(classify(texts), embed(texts)) from one encoder pass."""
        import numpy as np

        if not texts:
            return [], np.zeros((0, self.hidden_size), dtype=np.float32)
        logits, urgency, mean = self._forward(texts)
        return self._classifications(logits, urgency), _normalise(mean)


def _softmax(x):
    import numpy as np

    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def _normalise(mean):
    import numpy as np

    norms = np.linalg.norm(mean, axis=-1, keepdims=True)
    return (mean / np.maximum(norms, 1e-12)).astype(np.float32)


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
