"""A truck's GPS over MQTT (a real mosquitto): one message per fix on `cityops/readings/<terminal>` carrying
its three channels; the muck scan then finds the 11-minute stop in a field — the same event as over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cityops.core import clock
from cityops.core.db import session_scope
from cityops.muck import detect
from cityops.muck.models import TrackPoint, Violation
from cityops.sensing.mqtt import MqttIngest
from tests.factories import Login
from tests.muck.conftest import drive, fixes_lines, new_site, new_truck, places, stand
from tests.sensing.conftest import mosquitto  # noqa: F401  (fixture)
from tests.sensing.test_mqtt import publisher, subscriber, wait_for  # noqa: F401  (subscriber is a fixture)


def test_truck_fixes_over_mqtt_open_the_dumping_event(
    frozen: clock.FrozenClock,  # a morning: at night the same drive is also a night run without a permit
    client: TestClient,
    duty: Login,
    session: Session,
    factory: sessionmaker[Session],
    subscriber: MqttIngest,  # noqa: F811
    mosquitto: str,  # noqa: F811
) -> None:
    field, site_at = places(session)
    new_site(client, duty, session, *site_at)
    new_truck(client, duty, session, code="GPS-MQTT-1", plate="渝D77777")
    start = clock.now() - timedelta(minutes=25)
    fixes = drive(start, site_at, field, 10) + stand(start + timedelta(minutes=10), field, 11)
    pub = publisher(mosquitto)
    lines = fixes_lines("GPS-MQTT-1", fixes)
    for i in range(0, len(lines), 3):  # one message per fix, its three channels together
        pub.publish("cityops/readings/GPS-MQTT-1", json.dumps(lines[i : i + 3]), qos=1).wait_for_publish()
    pub.loop_stop()
    pub.disconnect()
    wait_for(lambda: subscriber.stats.accepted >= len(lines))
    with session_scope(factory) as s:
        assert detect.scan(s, clock.now()) == 1
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(TrackPoint)) == len(fixes)
        v = s.scalars(select(Violation)).one()
        assert v.kind == "dumping" and v.event_id is not None
