"""Pure rule engines: AWS's documented rules as plain functions, with no AWS SDK and no sandbox.

Each module takes plain data (a policy document, a token and a key set, request times) and
returns a decision; nothing here imports boto3, botocore, moto or another course_utils layer,
so the runtime (``course_utils.runtime``) and the simulators (``course_utils.sim``) share one
implementation of each rule. Importing this package loads nothing else.
"""

__all__: list[str] = []
