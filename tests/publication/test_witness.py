"""A real witness process (verify_publication.py witness serve) against a real portal: it cosigns
each checkpoint that extends the last one it cosigned, refuses a rewritten history, and the
portal's audit reports the refusal (#26.1)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from portal.extensions import db
from portal.files import file_store
from portal.publication import log, tlog
from portal.publication.audit import verify_log
from portal.publication.content import import_content
from tests.conftest import CONTENT_DIR, PROJECT_ROOT
from tests.publication.test_log import init_key
from tests.publication.test_log_rewrite import TARGET, _rewrite_latest_leaf, correct

TLOG = PROJECT_ROOT / "portal" / "publication" / "tlog.py"
WITNESS = "newsroom.example/witness"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def witness_key(tmp_path):
    made = subprocess.run([sys.executable, str(TLOG), "witness", "keygen", "--name", WITNESS,
                           "--out", str(tmp_path / "witness.key")], capture_output=True, text=True, check=True)
    return made.stdout.strip()


@pytest.fixture
def portal_and_witness(make_app, tmp_path, witness_key):
    port = _free_port()
    app = make_app(log_witnesses=(witness_key,), log_witness_urls=(f"{WITNESS}=http://127.0.0.1:{port}",))
    with app.app_context():
        import_content(CONTENT_DIR, file_store())
    verifier = init_key(app)
    process = subprocess.Popen([sys.executable, str(TLOG), "witness", "serve", "--key", str(tmp_path / "witness.key"),
                                "--log-key", verifier, "--state", str(tmp_path / "witness.state"), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/add-checkpoint", data=b"x"), timeout=1)
        except urllib.error.HTTPError:
            break  # it answers (400 for a malformed request)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the witness did not start: {process.stdout.read()}")
            time.sleep(0.1)
    yield app, tmp_path / "witness.state"
    process.terminate()
    process.wait(timeout=10)


def _cosigned_sizes(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(db.select(log.LogCosignature.size).where(log.LogCosignature.witness == WITNESS)))


def test_the_witness_cosigns_each_checkpoint_and_the_portal_serves_the_cosignature(portal_and_witness, witness_key):
    app, state = portal_and_witness
    signed = app.test_cli_runner().invoke(args=["log", "sign"])
    assert signed.exit_code == 0 and f"witness {WITNESS}: cosigned" in signed.output, signed.output
    correct(app, TARGET, "更正后的正文。")  # a publication: signed, then cosigned with a consistency proof
    with app.app_context():
        size = log.latest_checkpoint().size
    assert _cosigned_sizes(app)[-1] == size and len(_cosigned_sizes(app)) == 2
    served = app.test_client().get("/log/checkpoint").get_data(as_text=True)
    body, signatures = tlog.split_note(served)
    (name, identifier, rest), = [s for s in signatures if s[0] == WITNESS]
    assert tlog.verify_cosignature(body, name, identifier + rest, witness_key) > 0
    assert f"\n{size}\n" in state.read_text()  # the witness keeps what it cosigned


def test_a_rewritten_history_is_refused_by_the_witness_and_reported_by_the_audit(portal_and_witness):
    app, _ = portal_and_witness
    assert app.test_cli_runner().invoke(args=["log", "sign"]).exit_code == 0
    correct(app, TARGET, "更正后的正文。")
    correct(app, "2020-integrity-plan", "另一次更正的正文。")
    cosigned = _cosigned_sizes(app)[-1]
    _rewrite_latest_leaf(app, TARGET)
    # A signer without the memory of what it signed (another host's, or one whose file was lost)
    # signs the forged tree: the witness is what refuses it.
    with app.app_context():
        log.signed_state_file().unlink()
    correct(app, "demo-2025-emergency-supplies", "再一次更正的正文。")  # signed over the forged tree
    with app.app_context():
        assert log.latest_checkpoint().size == cosigned + 1
    forged = app.test_cli_runner().invoke(args=["log", "sign"])
    assert forged.exit_code == 1 and "422" in forged.output and "rewritten" in forged.output, forged.output
    assert _cosigned_sizes(app)[-1] == cosigned  # no cosignature on the forged tree
    with app.app_context():
        messages = [f"{p.kind}/{p.item}: {p.message}" for p in verify_log().problems]
    assert any(m.startswith("log/witness") and WITNESS in m and "rewritten" in m for m in messages), messages
