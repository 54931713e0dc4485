"""An external adapter (the Python SDK) that pushes one customer message with two attachments when it
starts: one carried in the protocol (`content_base64`), one named by a `url` the gateway fetches.
Config: `media_url` (the URL), `content_hex` (the carried bytes)."""

import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sdk" / "python"))
from switchboard_adapter import Adapter  # noqa: E402


class MediaAdapter(Adapter):
    def on_start(self, config):
        carried = bytes.fromhex(config["content_hex"])
        self.send_inbound("ext-media-1", "client-7", "", name="Pat", attachments=[
            {"kind": "document", "file_name": "label.pdf", "mime_type": "application/pdf",
             "content_base64": base64.b64encode(carried).decode()},
            {"kind": "image", "mime_type": "image/jpeg", "url": config["media_url"]},
        ])

    def deliver(self, reply):
        return "ext-out-" + reply.id


if __name__ == "__main__":
    MediaAdapter().run()
