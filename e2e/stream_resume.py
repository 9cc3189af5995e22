"""A WebSocket client (the `websockets` package) follows Cairn's /v1/stream, disconnects, lets
blocks pass, resumes from the last block's cursor + 1 and checks that it saw every block once,
linked by parent hash, each followed by its `finalized` message.

Usage: stream_resume.py ws://127.0.0.1:PORT
"""

import json
import sys
import time

from websockets.sync.client import connect


def follow(base, start, until):
    """Messages from height `start` up to and including the block message of `until`."""
    messages = []
    with connect(f"{base}/v1/stream?from={start}&kinds=finalized", open_timeout=30) as socket:
        while True:
            message = json.loads(socket.recv(timeout=60))
            messages.append(message)
            if message["type"] == "finalized" and message["cursor"] >= until:
                return messages


def main():
    base = sys.argv[1]
    seen = follow(base, 1, 3)
    last = max(m["cursor"] for m in seen if m["type"] == "block")
    # Disconnected: the dev chain keeps producing a block per second.
    time.sleep(2.5)
    seen += follow(base, last + 1, last + 4)

    blocks = [m for m in seen if m["type"] == "block"]
    numbers = [b["data"]["number"] for b in blocks]
    assert numbers == list(range(1, numbers[-1] + 1)), f"gap or repeat: {numbers}"
    for parent, child in zip(blocks, blocks[1:]):
        assert child["data"]["parent_hash"] == parent["data"]["hash"], (parent, child)
    for i, message in enumerate(seen):
        if message["type"] == "block":
            final = seen[i + 1]
            assert final["type"] == "finalized", final
            assert final["data"]["hash"] == message["data"]["hash"], (message, final)
        else:
            assert message["type"] == "finalized", message
    print(f"ok {len(blocks)} blocks, resumed at {last + 1}")


if __name__ == "__main__":
    main()
