"""MQTT ingest: subscribe (reconnecting), batch messages, ingest each batch in one transaction, and only
then acknowledge QoS 1 messages, so a crash before the commit lets the broker deliver them again.

A message is one reading object, a JSON array of them, or JSON lines; a reading without "device" takes
the last topic level as its device code (cityops/readings/CQ-RD-0001).

A stream split across ingest processes: devices publish to their hash bucket's topic
(`cityops/readings/p07/CQ-RD-0001`, see `reading_topic`), and worker i of n takes the buckets b with
b % n == i through MQTT shared subscriptions (`$share/cityops-ingest/cityops/readings/p07/+`) on a
persistent session. So each device's readings, rules and alarms belong to one process at a time; while a
worker is down the broker queues its buckets (QoS 1) and hands back what it had not acknowledged, and the
worker acknowledges only after its batch committed. A reading re-delivered after a commit is stored once
(same device, same time), so readings should carry their own "ts".
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import bodies
from cityops.core.db import session_scope
from cityops.sensing import fold, ingest

log = logging.getLogger("cityops.mqtt")

BUCKETS = 16
PREFIX = "cityops/readings"
GROUP = "cityops-ingest"


def bucket_of(code: str, buckets: int = BUCKETS) -> int:
    """A device's bucket: stable across processes and restarts (CRC-32 of its code)."""
    return zlib.crc32(code.encode("utf-8")) % buckets


def reading_topic(code: str, buckets: int = BUCKETS) -> str:
    return f"{PREFIX}/p{bucket_of(code, buckets):02d}/{code}"


def worker_topics(worker: int, workers: int, buckets: int = BUCKETS, group: str = GROUP) -> list[str]:
    """The shared subscriptions of worker `worker` (0-based) of `workers`."""
    if not 0 <= worker < workers <= buckets:
        raise ValueError(f"worker must be in 0..{workers - 1} and workers ≤ {buckets}")
    return [f"$share/{group}/{PREFIX}/p{b:02d}/+" for b in range(buckets) if b % workers == worker]


@dataclass
class MqttStats:
    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    batches: int = 0
    failures: int = 0
    events_opened: list[int] = field(default_factory=list)


def decode(payload: bytes, topic: str) -> tuple[list[dict[str, Any]], list[str]]:
    """-> (reading objects, reasons for what could not be read)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return [], ["malformed"]
    device = topic.rsplit("/", 1)[-1]
    objs: list[Any]
    bad: list[str] = []
    try:
        data = bodies.loads(text)
        objs = data if isinstance(data, list) else [data]
    except bodies.BadJSON:  # not one JSON value (or one no column can store): maybe JSON lines
        objs = []
        for line in text.splitlines():
            if line.strip():
                try:
                    objs.append(bodies.loads(line))
                except bodies.BadJSON:  # too deep, a lone surrogate, not JSON: this line alone is malformed
                    bad.append("malformed")
    out = []
    for obj in objs:
        if not isinstance(obj, dict):
            bad.append("malformed")
            continue
        obj.setdefault("device", device)
        out.append(obj)
    return out, bad


def prepare_sessions(url: str, workers: int, buckets: int = BUCKETS) -> None:
    """Create the workers' persistent sessions with their subscriptions (before their first start), so the
    broker queues every bucket from now on even if a worker is not running yet."""
    parsed = urlparse(url)
    for w in range(workers):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{GROUP}-{w}", clean_session=False)
        client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
        done = threading.Event()
        client.on_subscribe = lambda *_, done=done: done.set()
        client.loop_start()
        client.subscribe([(t, 1) for t in worker_topics(w, workers, buckets)])
        done.wait(10)
        client.loop_stop()
        client.disconnect()


class MqttIngest:
    def __init__(
        self,
        factory: sessionmaker[Session],
        url: str,
        topic: str | list[str],
        *,
        qos: int = 1,
        batch: int = 2000,
        flush_seconds: float = 0.2,
        client_id: str = "",
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"use mqtt://host:port, not {url!r}")
        self.host, self.port = parsed.hostname, parsed.port or 1883
        self.factory, self.qos = factory, qos
        self.topics = [topic] if isinstance(topic, str) else list(topic)
        self.batch, self.flush_seconds = batch, flush_seconds
        self._unfolded = False  # batches ingested since the last fold when idle
        self.inbox: queue.Queue[tuple[str, bytes, int, int]] = queue.Queue()
        self.stats = MqttStats()
        self.connected = threading.Event()
        # A named worker keeps its session across restarts: the broker queues its buckets meanwhile and
        # re-sends what it delivered but never saw acknowledged.
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or "",
            clean_session=not client_id,
            manual_ack=qos > 0,
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.subscribe([(t, self.qos) for t in self.topics])  # again after every reconnect
        self.connected.set()
        log.info("connected to %s:%s, subscribed to %s", self.host, self.port, ", ".join(self.topics))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        log.warning("disconnected (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put((msg.topic, bytes(msg.payload), msg.mid, msg.qos))

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def drain_once(self, timeout: float | None = None) -> int:
        """Collect up to `batch` messages (waiting at most flush_seconds after the first) and ingest them."""
        taken: list[tuple[str, bytes, int, int]] = []
        try:
            taken.append(self.inbox.get(timeout=timeout if timeout is not None else self.flush_seconds))
        except queue.Empty:
            self._fold_when_idle()
            return 0
        deadline = time.monotonic() + self.flush_seconds
        while len(taken) < self.batch:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                taken.append(self.inbox.get(timeout=left))
            except queue.Empty:
                break
        self._ingest(taken)
        return len(taken)

    def _fold_when_idle(self) -> None:
        """The stream paused: fold what its large batches left above the rollup watermark (SQLite; the
        worker's job would within seconds, this makes it at once). Never fatal to the ingest loop."""
        if not self._unfolded:
            return
        try:
            with session_scope(self.factory) as s:
                fold.fold_pending(s)
            self._unfolded = False
        except Exception:
            log.exception("folding the rollups failed; the worker's job will")

    def _ingest(self, taken: list[tuple[str, bytes, int, int]]) -> None:
        items: list[tuple[int, dict[str, Any]]] = []
        rejects: list[dict[str, Any]] = []
        n = 0
        for topic, payload, _, _ in taken:
            objs, bad = decode(payload, topic)
            for obj in objs:
                n += 1
                items.append((n, obj))
            for reason in bad:
                n += 1
                rejects.append({"line": n, "reason": reason, "detail": topic[-64:]})
        while True:
            try:
                with session_scope(self.factory) as s:
                    result = ingest.ingest(s, items, source="mqtt", rejects=rejects)
                break
            except Exception:  # e.g. the database is briefly away: keep the batch, retry, never drop it
                self.stats.failures += 1
                log.exception("batch of %s messages failed; retrying", len(taken))
                time.sleep(min(5.0, 0.5 * self.stats.failures))
        for _, _, mid, qos in taken:
            if qos > 0:
                self.client.ack(mid, qos)
        self._unfolded = True
        self.stats.messages += len(taken)
        self.stats.batches += 1
        self.stats.accepted += result.accepted
        self.stats.rejected += len(result.rejected)
        self.stats.events_opened.extend(result.events_opened)

    def run_forever(self, stop: threading.Event) -> None:
        with session_scope(self.factory, write=False) as s:
            ingest.warm_up(s)
        self.start()
        try:
            while not stop.is_set():
                self.drain_once(timeout=0.5)
        finally:
            self.stop()
