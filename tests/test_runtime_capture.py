"""Per-thread capture of handler output, and the crash it used to cause.

CPython's ``print()`` keeps only a borrowed reference to ``sys.stdout`` while it writes. The
capture used to put the original stream back when the last invocation ended, from whatever
thread ended it: an asynchronous invocation finishing while the notebook's main thread was in
``print()`` freed the stream under it and the kernel died (segmentation fault, seen as an
intermittent dead kernel in notebook 03's custom-resource cell).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from course_utils.runtime import capture

# The other thread's "last invocation ends" is replayed at the exact moment it hurt: inside the
# wrapped stream's write, between print()'s writes of the text and of its end.
MID_PRINT = textwrap.dedent('''
    import sys
    from course_utils.runtime import capture
    real = sys.stdout

    class Stream:
        pending = None
        def write(self, text):
            if self.pending is not None:
                ending, self.pending = self.pending, None
                ending.__exit__(None, None, None)
                [object() for _ in range(1000)]  # reuse freed memory, as a busy kernel would
            return real.write(text)
        def flush(self):
            real.flush()

    stream = Stream()
    sys.stdout = stream
    for i in range(500):
        invocation = capture.capturing()
        invocation.__enter__()
        stream.pending = invocation
        print("main thread line", i)
    sys.stdout = real
    print("survived")
''')


def test_an_invocation_ending_in_the_middle_of_a_print_does_not_crash():
    proc = subprocess.run([sys.executable, "-c", MID_PRINT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"exit code {proc.returncode} (-11/139: segmentation fault)\n{proc.stderr[-2000:]}"
    assert proc.stdout.splitlines()[-1] == "survived"
    assert "main thread line 499" in proc.stdout


def test_handler_threads_write_to_their_buffer_and_everyone_else_to_the_stream(capsys):
    buffer = capture.LogBuffer("req-1")

    def handler():
        capture.register(buffer)
        try:
            print("from the handler")
        finally:
            capture.unregister()

    with capture.capturing():
        worker = threading.Thread(target=handler)
        worker.start()
        worker.join(10)
        print("from the notebook")
    print("after the invocation")
    out = capsys.readouterr().out
    assert buffer.text() == "from the handler\n"
    assert "from the notebook\n" in out and "after the invocation\n" in out and "from the handler" not in out
