"""Export a checkpoint to the ONNX Runtime files the service runs by default.

``export_onnx(model_dir)`` writes ``onnx/model.onnx`` and its int8 quantisation
``onnx/model.int8.onnx`` beside the checkpoint: one graph with three outputs, "logits"
(category), "urgency" (the urgency head's logits) and "mean" (the mean-pooled states).
Needs torch, transformers, onnx and onnxruntime (train.py calls it; so does
``python maintenance/enhanced_model.py export-onnx [model_dir]``).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from .graph import PooledHead, load_urgency_head, read_config

# The ONNX files, per runtime (runtime.ModelClassifier reads them).
ONNX_FILES = {"onnx-fp32": "onnx/model.onnx", "onnx-int8": "onnx/model.int8.onnx"}
OUTPUTS = ["logits", "urgency", "mean"]


def export_onnx(model_dir: str | os.PathLike) -> dict[str, Path]:
    """Write the fp32 graph and its int8 quantisation; returns {runtime: path}."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True).eval()
    head = PooledHead(model, config.get("classifier_pooling", "cls"), load_urgency_head(model_dir, config)).eval()
    sample = tokenizer(["The projector in room 101 is broken", "A leaking tap"], padding=True, return_tensors="pt")
    target = {runtime: model_dir / name for runtime, name in ONNX_FILES.items()}
    target["onnx-fp32"].parent.mkdir(parents=True, exist_ok=True)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            **{name: {0: "batch"} for name in OUTPUTS}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # The TorchScript exporter: its graph quantises cleanly with ONNX Runtime.
        torch.onnx.export(head, (sample["input_ids"], sample["attention_mask"]), str(target["onnx-fp32"]),
                          input_names=["input_ids", "attention_mask"], output_names=OUTPUTS,
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    quantize_dynamic(str(target["onnx-fp32"]), str(target["onnx-int8"]), weight_type=QuantType.QInt8,
                     per_channel=True)
    return target


def main(argv: list[str]) -> int:
    """python maintenance/enhanced_model.py export-onnx [model_dir]"""
    if argv and argv[0] == "export-onnx":
        directory = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "model"
        for name, written in export_onnx(directory).items():
            print(f"{name}: {written} ({written.stat().st_size >> 20} MiB)")
        return 0
    print("usage: python maintenance/enhanced_model.py export-onnx [model_dir]", file=sys.stderr)
    return 2
