"""The classifier's torch graph: encoder, category head and urgency head in one module.

One encoder pass gives the category logits, the urgency logits and the mean-pooled
hidden states (the embedding duplicate detection compares). ``PooledHead`` is what the
torch runtimes run and what export.py saves to ONNX; train.py builds the urgency head.

The checkpoint stays a stock transformers sequence-classification checkpoint (the
category head); the urgency head is a small file beside it, ``urgency_head.safetensors``
(named by ``config.urgency_head``): Linear(dim, dim) -> ReLU -> Linear(dim, 2) on the
mean-pooled states, its two outputs in the order of ``config.urgency_labels``.
torch is imported on use only.
"""

from __future__ import annotations

import json
from pathlib import Path

URGENCY_FILE = "urgency_head.safetensors"


def _torch():
    import torch

    return torch


def build_urgency_head(dim: int):
    """A fresh urgency head (seeded by the caller's torch RNG)."""
    torch = _torch()

    class UrgencyHead(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pre = torch.nn.Linear(dim, dim)
            self.out = torch.nn.Linear(dim, 2)
            self.dropout = torch.nn.Dropout(0.1)

        def forward(self, pooled):
            return self.out(self.dropout(torch.relu(self.pre(pooled))))

    return UrgencyHead()


def save_urgency_head(head, model_dir: Path) -> str:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in head.state_dict().items()}, str(model_dir / URGENCY_FILE))
    return URGENCY_FILE


def load_urgency_head(model_dir: Path, config: dict):
    """The checkpoint's urgency head (eval mode), or None when it has none."""
    name = config.get("urgency_head")
    if not name or not (Path(model_dir) / name).is_file():
        return None
    from safetensors.torch import load_file

    state = load_file(str(Path(model_dir) / name))
    head = build_urgency_head(state["pre.weight"].shape[1])
    head.load_state_dict(state)
    return head.eval()


def _pooled_head_class():
    torch = _torch()

    class _PooledHead(torch.nn.Module):
        """Encoder + heads in one module: (category logits, urgency logits, mean-pooled states).

        The DistilBERT category head is applied by hand so both poolings share one encoder
        pass; other architectures use their own head. Without an urgency head the urgency
        logits are zeros (the runtime then reports no model urgency)."""

        def __init__(self, model, pooling: str, urgency=None):
            super().__init__()
            self.model = model
            self.pooling = pooling
            self.urgency = urgency

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
            if self.urgency is not None:
                urgency = self.urgency(mean.to(self.urgency.pre.weight.dtype)).to(logits.dtype)
            else:
                urgency = torch.zeros(logits.shape[0], 2, dtype=logits.dtype)
            return logits, urgency, mean

    return _PooledHead


def PooledHead(model, pooling: str, urgency=None):  # noqa: N802 - a class made lazily (torch imported on use)
    return _pooled_head_class()(model, pooling, urgency)


def read_config(model_dir: Path) -> dict:
    return json.loads((Path(model_dir) / "config.json").read_text())
