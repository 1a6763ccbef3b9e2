"""The maintenance ticket classifier, one module per job:

- ``rules``: the taxonomy, the keyword fallback classifier, and the priority (a floor under
  the model's urgency), impact and SLA rules. Pure Python.
- ``runtime``: running a trained checkpoint (ONNX Runtime or torch) and ``load_classifier``.
- ``graph``: the torch module (encoder + category head + urgency head) the torch runtimes
  run and the export saves.
- ``export``: the ONNX files the default runtime reads.

``maintenance/enhanced_model.py`` re-exports the public names (the entry the spec names).
Nothing heavy is imported here.
"""
