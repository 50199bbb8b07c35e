"""What a sensor publishes that cannot be read is counted as malformed; it never stops the ingest loop."""

from __future__ import annotations

from cityops.sensing.mqtt import decode

TOPIC = "cityops/readings/rock-001"


def test_a_reading_and_json_lines_are_read_with_the_topics_device() -> None:
    assert decode(b'{"value": 1.5}', TOPIC) == ([{"value": 1.5, "device": "rock-001"}], [])
    objs, bad = decode(b'{"value": 1}\n{"value": 2}\n', TOPIC)
    assert [o["value"] for o in objs] == [1, 2] and bad == []


def test_a_payload_too_deep_or_with_a_lone_surrogate_is_malformed_not_raised() -> None:
    deep = b"[" * 5000 + b"]" * 5000
    assert decode(deep, TOPIC) == ([], ["malformed"])
    assert decode(b'{"value": 1, "note": "\\ud800"}', TOPIC) == ([], ["malformed"])
    # One bad line among good ones: the good one is read, the bad one counted.
    objs, bad = decode(b'{"value": 1}\n' + deep + b"\n", TOPIC)
    assert [o["value"] for o in objs] == [1] and bad == ["malformed"]
