"""The moto internals wrapped, called or read for CloudFormation stack failures: a table, data only.

CloudFormation failures (:mod:`.cfn_failures`): resource events, ``CREATE_FAILED`` with the
service's reason, rollback, ``OnFailure`` / ``DisableRollback``. Appended to
:data:`course_utils.runtime.patches.REPLACED` and ``USED``; see that module for the kinds. The
three moto modules are patched when moto first imports them (``moto_adapter.LAZY_MODULES``):
importing moto's CloudFormation costs about 0.6 s, which a notebook without stacks should not pay.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["CFN", "CFN_USED"]

_M = "moto.cloudformation.models"
_P = "moto.cloudformation.parsing"

CFN: tuple[PatchPoint, ...] = (
    PatchPoint("moto.cloudformation.responses.CloudFormationResponse.create_stack", "wrap", ("self",),
               "moto ignores OnFailure and DisableRollback: check them (not both) and apply the one chosen",
               "cfn_failures:wrap_response_create_stack"),
    PatchPoint(f"{_M}.CloudFormationBackend.create_stack", "wrap",
               ("self", "name", "template", "parameters", "notification_arns", "tags", "role_arn",
                "enable_termination_protection", "timeout_in_mins", "stack_policy_body"),
               "moto lets a resource's service error escape from CreateStack and writes no resource events: "
               "write them, fail the resource with its reason, cancel, roll back (or not) like AWS",
               "cfn_failures:wrap_backend_create_stack"),
    PatchPoint(f"{_P}.parse_and_create_resource", "wrap",
               ("logical_id", "resource_json", "resources_map", "account_id", "region_name"),
               "record each resource moto creates, and which one its service refused",
               "cfn_failures:wrap_parse_and_create_resource"),
)

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
CFN_USED: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_M}:Event", "use",
               ("stack_id", "stack_name", "logical_resource_id", "physical_resource_id", "resource_type",
                "resource_status", "resource_status_reason", "resource_properties"),
               "a stack event (moto_adapter.cfn_event)"),
    PatchPoint(f"{_M}:Event.sendToSns", "use", ("self", "account_id", "region", "sns_topic_arns"),
               "stack events go to the stack's notification topics"),
    PatchPoint(f"{_M}:cloudformation_backends", "use", None, "the stacks, deleted stacks and exports of an account and Region"),
    PatchPoint("moto.cloudformation.exceptions:ValidationError", "use", ("name_or_id", "message"),
               "CloudFormation's ValidationError (moto_adapter.cfn_validation_error)"),
    PatchPoint(f"{_P}:OutputMap", "use", ("resources", "template", "stack_id"), "an empty output map for a failed stack"),
    PatchPoint(f"{_M}:Event.logical_resource_id", "read", (), "find the stack's own events", set_in=("__init__",)),
    PatchPoint(f"{_M}:Event.resource_status", "read", (), "find the stack's own events", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.name", "read", (), "the stack's own events and the failed stack", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.stack_id", "read", (), "the stack's own events", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.events", "read", (), "append the resource and rollback events", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.status", "read", (), "the stack's status after the failure", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.template_dict", "read", (), "the template's Resources (dependencies, types)",
               set_in=("_parse_template",)),
    PatchPoint(f"{_M}:Stack.resource_map", "read", (), "create the other paths (DO_NOTHING), delete on rollback",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.output_map", "read", (), "a failed stack has no outputs", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.disable_rollback", "read", (), "DescribeStacks' DisableRollback", set_in=("__init__",)),
    PatchPoint(f"{_M}:Stack.notification_arns", "read", (), "topics of the stack events", set_in=("__init__",)),
    PatchPoint(f"{_M}:CloudFormationBackend.stacks", "read", (), "a stack deleted by OnFailure=DELETE leaves it",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:CloudFormationBackend.deleted_stacks", "read", (), "... and is kept here, as DeleteStack does",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:CloudFormationBackend.exports", "read", (), "a failed stack exports nothing", set_in=("__init__",)),
    PatchPoint(f"{_P}:ResourceMap._resource_json_map", "read", (), "the resources a failed stack still lists",
               set_in=("__init__",)),
    PatchPoint(f"{_P}:ResourceMap.delete", "use", ("self",), "delete the created resources on rollback"),
)
