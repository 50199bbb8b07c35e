"""MQTT through a real mosquitto: a rock-displacement crossing opens one routed event; bad messages are
counted and the stream goes on; a restart of the subscriber resumes from the active alarm."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from cityops.sensing.mqtt import MqttIngest
from tests.factories import Login, unit
from tests.sensing.conftest import register
from tests.sensing.test_sensing import ROCK


@pytest.fixture
def subscriber(factory: sessionmaker[Session], mosquitto: str) -> Iterator[MqttIngest]:
    sub = MqttIngest(factory, mosquitto, "cityops/readings/#", qos=1, flush_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=sub.run_forever, args=(stop,), daemon=True)
    thread.start()
    assert sub.connected.wait(10), "subscriber did not connect"
    yield sub
    stop.set()
    thread.join(10)


def publisher(url: str) -> mqtt.Client:
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect(host, int(port))
    client.loop_start()
    return client


def wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_rock_displacement_over_mqtt_opens_one_routed_event(
    client: TestClient, gateway: Login, session: Session, subscriber: MqttIngest, mosquitto: str
) -> None:
    register(client, gateway, ROCK)
    device = client.get("/api/devices", headers=gateway.headers).json()["items"][0]
    client.put(
        f"/api/devices/{device['id']}/rules",
        headers=gateway.headers,
        json={"rules": [{"id": "disp_rate", "per_hour": 100000}]},
    )
    pub = publisher(mosquitto)
    topic = "cityops/readings/CQ-RD-0001"
    for value in (2.0, 12.5, 14.0):
        pub.publish(topic, json.dumps({"value": value}), qos=1).wait_for_publish(5)
    pub.publish(topic, b"\xff\xfe not json", qos=1).wait_for_publish(5)
    pub.publish("cityops/readings/UNKNOWN-1", json.dumps({"value": 1}), qos=1).wait_for_publish(5)
    wait_for(lambda: subscriber.stats.messages >= 5)
    assert subscriber.stats.accepted == 3 and subscriber.stats.rejected == 2

    events = client.get("/api/events", headers=gateway.headers).json()
    assert events["total"] == 1
    event = events["items"][0]
    assert event["source"] == "sensor" and event["unit_id"] == unit(session, "500103003").id
    assert event["owner_name"] == "渝中区规划和自然资源局" and event["category"] == "geohazard.rockfall"

    pub.publish(topic, json.dumps({"value": 3.0}), qos=1).wait_for_publish(5)
    wait_for(lambda: subscriber.stats.messages >= 6)
    alarm = client.get("/api/alarms", headers=gateway.headers).json()["items"][0]
    assert alarm["status"] == "CLEARED_UNACK" and alarm["event_id"] == event["id"]
    assert client.get("/api/events", headers=gateway.headers).json()["total"] == 1
    pub.loop_stop()
    pub.disconnect()
