"""The service's view of the classifier (maintenance/enhanced_model.py).

`Analyzer` wraps any object with `classify(texts) -> [Classification]`, `embed(texts)
-> ndarray | None` and `method` (the real ModelClassifier / KeywordClassifier, or a
stand-in a test hands to create_app) together with the taxonomy and the priority / impact
/ SLA rules of enhanced_model. Calls are serialised by a lock: one model, many threads.

Priority is the model's learned urgency with the rules as a floor
(enhanced_model.decide_priority): the rules can raise a ticket to urgent, never lower it;
`priority_source` says what decided ("model", "rules" or "model+rules").
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Sequence

import enhanced_model

logger = logging.getLogger(__name__)


def load_classifier(model_dir: str | None, runtime: str | None = None):
    """The real classifier; enhanced_model.load_classifier never raises (keyword fallback)."""
    return enhanced_model.load_classifier(model_dir, runtime=runtime)


@dataclass
class Analysis:
    category: str
    confidence: float
    method: str
    priority: str
    priority_source: str   # what decided the priority: "model", "rules" or "model+rules"
    impact: str
    embedding: list[float] | None


class Analyzer:
    def __init__(self, classifier, *, urgent_hours: int = 4, standard_hours: int = 72, module=None):
        self.classifier = classifier
        self.rules = module or enhanced_model
        self.urgent_hours = urgent_hours
        self.standard_hours = standard_hours
        self.categories: list[str] = list(self.rules.CATEGORIES)
        self.department_by_category: dict[str, str] = dict(self.rules.DEPARTMENT_BY_CATEGORY)
        departments: list[str] = []
        for category in self.categories:
            dept = self.department_by_category.get(category)
            if dept and dept not in departments:
                departments.append(dept)
        for dept in getattr(self.rules, "DEPARTMENTS", ()):  # if the module lists more
            if dept not in departments:
                departments.append(dept)
        self.departments = departments
        self._lock = threading.Lock()

    @property
    def method(self) -> str:
        return str(getattr(self.classifier, "method", "keywords"))

    def department_for(self, category: str) -> str:
        return self.department_by_category.get(category, "General")

    def sla_hours(self, priority: str, category: str) -> int:
        return int(self.rules.sla_hours(priority, category, urgent_hours=self.urgent_hours,
                                        standard_hours=self.standard_hours))

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Classify and embed (one model pass for all texts when the classifier can), and
        decide priority and impact."""
        texts = list(texts)
        with self._lock:
            both = getattr(self.classifier, "classify_and_embed", None)
            if both is not None:
                results, vectors = both(texts)
            else:
                results = self.classifier.classify(texts)
                vectors = None
                try:
                    vectors = self.classifier.embed(texts)
                except Exception:  # noqa: BLE001 - duplicates are a hint; never fail a ticket for them
                    logger.warning("embedding failed; duplicate detection skipped", exc_info=True)
        out = []
        for i, (text, result) in enumerate(zip(texts, results)):
            embedding = None
            if vectors is not None:
                embedding = [round(float(x), 6) for x in vectors[i]]
            priority, source = self.rules.decide_priority(text, getattr(result, "urgency", None))
            out.append(Analysis(category=result.category, confidence=round(float(result.confidence), 4),
                                method=str(result.method), priority=priority, priority_source=source,
                                impact=self.rules.assess_impact(text), embedding=embedding))
        return out
