"""Instructor tools for the course's nbgrader assignments (``python -m course_utils grade ...``).

- :mod:`.launcher`: the sandboxed grading kernel (bubblewrap: own files only, no network, fake credentials, time bound);
- :mod:`.kernelspec`: installs the ``dva-course-sandbox`` kernelspec that ``grading/nbgrader_config.py`` names;
- :mod:`.preprocessors`: deleted grade cells score 0; feedback without hidden tests or their tracebacks;
- :mod:`.autograde`: parallel autograde (N workers, progress bar), then feedback and export;
- :mod:`.status`: a status and a reason for every student, from the files nbgrader leaves;
- :mod:`.export`: the grades CSV, the summary of who needs manual grading, the grade-distribution figure;
- :mod:`.synthetic`: synthetic submissions (correct, wrong, partial, hostile) for tests and the benchmark.

Importing this package imports nothing heavy.
"""
