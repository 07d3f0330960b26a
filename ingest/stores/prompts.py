"""The questions coaches suggest in the assistant panel, in `data_dir/suggested_prompts.json`
(a JSON list of strings, set by a coach with `/guidepost prompts Q1 | Q2` and editable by hand)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("guidepost.slack")

FILENAME = "suggested_prompts.json"
MAX_PROMPTS = 4


class SuggestedPrompts:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILENAME

    def get(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            log.exception("could not read %s; no coach-set prompts", self.path)
            return []
        if not isinstance(data, list):
            log.warning("%s is not a list of questions; ignored", self.path)
            return []
        return [str(p).strip() for p in data if str(p).strip()][:MAX_PROMPTS]

    def set(self, prompts: list[str]) -> None:
        prompts = [p.strip() for p in prompts if p.strip()][:MAX_PROMPTS]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".prompts-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(prompts, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)
