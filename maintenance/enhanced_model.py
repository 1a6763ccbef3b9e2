"""Offline ticket classification, urgency, priority and impact rules for the maintenance service.

The entry the spec names; the code lives in ``maintenance/ticket_classifier/``, one module
per job (rules, runtime, graph, export). Public interface:

- ``CATEGORIES``, ``DEPARTMENT_BY_CATEGORY``, ``URGENCY_LABELS``
- ``Classification(category, confidence, method, urgency=None, urgency_score=None)``
- ``ModelClassifier(model_dir, max_length=64, runtime=DEFAULT_RUNTIME)``: a fine-tuned
  checkpoint on CPU with a category head and an urgency head on one encoder.
  ``classify(texts)``, ``embed(texts)``, ``classify_and_embed(texts)`` (one pass).
- ``KeywordClassifier()``: rule-based fallback with the same interface; no urgency, and
  its ``embed`` returns ``None`` (callers skip duplicate detection).
- ``load_classifier(model_dir, runtime=None)``: never raises; falls back to keywords.
- ``export_onnx(model_dir)``: writes the ONNX Runtime files beside a checkpoint
  (also ``python maintenance/enhanced_model.py export-onnx [model_dir]``).
- ``assess_priority(text)`` (the rules), ``decide_priority(text, model_urgency)`` (the
  model's urgency with the rules as a floor), ``assess_impact(text)``, ``sla_hours(...)``.

Nothing heavy happens at import time: onnxruntime, or torch/transformers, are imported
inside ``ModelClassifier`` so the service (and the keyword fallback) start instantly.
The confidence threshold is the service's business, not this module's.
"""

from __future__ import annotations

import sys

from ticket_classifier.export import ONNX_FILES, export_onnx
from ticket_classifier.export import main as _export_main
from ticket_classifier.graph import PooledHead
from ticket_classifier.rules import (
    CATEGORIES,
    DEPARTMENT_BY_CATEGORY,
    URGENCY_LABELS,
    URGENT_SLA_OVERRIDES,
    Classification,
    KeywordClassifier,
    assess_impact,
    assess_priority,
    decide_priority,
    sla_hours,
)
from ticket_classifier.runtime import CHUNK, DEFAULT_RUNTIME, RUNTIMES, ModelClassifier, load_classifier, logger

__all__ = [
    "CATEGORIES", "DEPARTMENT_BY_CATEGORY", "URGENCY_LABELS", "URGENT_SLA_OVERRIDES", "Classification",
    "KeywordClassifier", "ModelClassifier", "load_classifier", "export_onnx", "PooledHead", "ONNX_FILES",
    "RUNTIMES", "DEFAULT_RUNTIME", "CHUNK", "assess_priority", "decide_priority", "assess_impact", "sla_hours",
    "logger",
]

if __name__ == "__main__":
    sys.exit(_export_main(sys.argv[1:]))
