"""Small helpers the plugin tests share."""
import hashlib
import os


def sha256_of(path):
    """The SHA-256 of a file, read in 1 MiB blocks, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quiet_supervisor(test, launcher):
    """A launcher Supervisor whose answers to Dispatcharr are kept in a list instead of sent; its wake-up pipe is
    closed when the test ends. Returns the supervisor and the list."""
    answers = []

    class Quiet(launcher.Supervisor):
        def answer(self, line):
            answers.append(line)

    supervisor = Quiet([])
    test.addCleanup(os.close, supervisor.wake_read)
    test.addCleanup(os.close, supervisor.wake_write)
    return supervisor, answers
