"""Summaries of an event's timeline, a street's day and a hot spot: written by the OpenAI-compatible
chat-completions endpoint the operator configures (CITYOPS_LLM_URL, CITYOPS_LLM_MODEL, CITYOPS_LLM_KEY),
or — without one, or when it fails — an extractive summary made here. Mobile and ID numbers are masked
before any text leaves the platform."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

import httpx

from cityops.core.pii import mask_text
from cityops.core.settings import Settings

log = logging.getLogger(__name__)
MAX_INPUT_CHARS = 6000
SYSTEM_PROMPT = (
    "你是城市运行和治理中心的值班助手。请用简体中文、不超过150字，客观概括下列材料的要点："
    "发生了什么、在哪里、处置到哪一步、还需要谁做什么。不要编造材料中没有的事实。"
)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


@dataclass
class Summary:
    text: str
    source: str  # llm | local
    note: str = ""


def summarize(settings: Settings, title: str, lines: list[str], *, max_sentences: int = 3) -> Summary:
    material = mask_text("\n".join(lines))[:MAX_INPUT_CHARS]
    if not material.strip():
        return Summary("暂无可概括的内容 / nothing to summarize", "local")
    if settings.llm_url:
        try:
            return Summary(_ask(settings, title, material), "llm")
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("summary endpoint failed, summarizing locally: %s", exc)
            return Summary(_local(lines, max_sentences), "local", "大模型服务不可用，已改用本地摘要")
    return Summary(_local(lines, max_sentences), "local")


def _local(lines: list[str], max_sentences: int) -> str:
    """The first line (what it is about: the report, the day's count, the prompt) and the most central of the
    rest."""
    first, rest = mask_text(lines[0]), mask_text("\n".join(lines[1:]))[:MAX_INPUT_CHARS]
    head = _end(first.strip()) if first.strip() else ""
    return head + (extractive(rest, max_sentences - 1) if rest.strip() else "")


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def _ask(settings: Settings, title: str, material: str) -> str:
    headers = {"Authorization": f"Bearer {settings.llm_key}"} if settings.llm_key else {}
    body = {
        "model": settings.llm_model or "default",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{mask_text(title)}\n{material}"},
        ],
    }
    timeout = httpx.Timeout(settings.llm_timeout_seconds, connect=min(5.0, settings.llm_timeout_seconds))
    response = httpx.post(_endpoint(settings.llm_url), json=body, headers=headers, timeout=timeout)
    response.raise_for_status()
    text = str(response.json()["choices"][0]["message"]["content"]).strip()
    if not text:
        raise ValueError("empty completion")
    return mask_text(text)  # a model may echo a number it was never sent unmasked; mask again anyway


def extractive(material: str, max_sentences: int = 3) -> str:
    """The sentences that share the most character pairs with the whole material, in their order."""
    sentences = [s.strip() for s in _SENTENCE.findall(material) if len(s.strip()) >= 4]
    if len(sentences) <= max_sentences:
        return "".join(_end(s) for s in sentences)
    freq = Counter(p for s in sentences for p in {s[i : i + 2] for i in range(len(s) - 1)})

    def score(s: str) -> float:
        pairs = {s[i : i + 2] for i in range(len(s) - 1)}
        return sum(freq[p] for p in pairs) / (len(pairs) ** 0.5 or 1)

    ranked = sorted(range(len(sentences)), key=lambda i: -score(sentences[i]))[:max_sentences]
    return "".join(_end(sentences[i]) for i in sorted(ranked))


def _end(sentence: str) -> str:
    return sentence if sentence[-1] in "。！？!?" else sentence + "。"
