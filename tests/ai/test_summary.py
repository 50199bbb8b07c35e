"""Summaries: sent to an OpenAI-compatible chat-completions server (a real one on loopback) with phones and
ID numbers masked; written locally when none is configured or when it is down."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cityops.ai.summary import summarize
from cityops.core.actor import Role
from cityops.core.settings import Settings
from tests.ai.conftest import STREET
from tests.factories import login, report

PHONE, ID_NUMBER = "13912345678", "500103199001011234"


class ChatServer:
    """Speaks POST /v1/chat/completions as OpenAI-compatible servers do, and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append(body)
                outer.headers.append(dict(self.headers))
                ok = self.path == "/v1/chat/completions"
                reply = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "路灯故障已派城管处置。"}}],
                }
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


def test_the_endpoint_receives_masked_text_and_its_answer_is_the_summary(chat: ChatServer) -> None:
    settings = Settings(env="test", llm_url=chat.url, llm_model="qwen-test", llm_key="k-1")
    lines = [f"市民张三（电话{PHONE}，身份证{ID_NUMBER}）反映临江支路路灯不亮。", "已派遣至城市管理局。"]
    out = summarize(settings, "事件 CQ1", lines)
    assert (out.source, out.text) == ("llm", "路灯故障已派城管处置。")
    sent = json.dumps(chat.received[0], ensure_ascii=False)
    assert PHONE not in sent and ID_NUMBER not in sent and "139****5678" in sent
    assert chat.received[0]["model"] == "qwen-test" and chat.headers[0]["Authorization"] == "Bearer k-1"


def test_endpoint_down_or_absent_falls_back_to_a_local_summary(chat: ChatServer) -> None:
    url = chat.url
    chat.close()  # down: nothing listens there any more
    lines = [f"市民反映临江支路路灯不亮，电话{PHONE}。", "路灯已修复。", "已回访，市民满意。"]
    down = summarize(Settings(env="test", llm_url=url, llm_timeout_seconds=2), "事件", lines)
    assert down.source == "local" and "本地摘要" in down.note and "路灯" in down.text and PHONE not in down.text
    absent = summarize(Settings(env="test"), "事件", lines)
    assert absent.source == "local" and absent.note == "" and "139****5678" in absent.text


def test_an_events_summary_through_the_api(client: TestClient, factory: sessionmaker[Session]) -> None:
    duty = login(client, factory, "ai_sum_duty", [Role.dispatcher], unit_code=STREET)
    ev = report(client, duty.headers, description=f"临江支路路灯不亮已三天，联系电话{PHONE}")
    r = client.get(f"/api/ai/summaries/events/{ev['id']}", headers=duty.headers)
    assert r.status_code == 200 and r.json()["source"] == "local"
    assert "路灯" in r.json()["text"] and PHONE not in r.json()["text"]
