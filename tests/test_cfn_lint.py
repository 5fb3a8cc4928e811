"""course_utils.cfn_lint gives cfn-lint's own answers, with the rules loaded once."""

from __future__ import annotations

from cfnlint.api import lint as stock_lint

from course_utils import cfn_lint

GOOD = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 600
Outputs:
  Url:
    Value: !Ref Queue
"""
BAD = GOOD.replace("MessageRetentionPeriod: 600", "MessageRetention: 600\n      VisibilityTimeout: 99999")


def test_clean_template_has_no_problems():
    assert cfn_lint.lint(GOOD) == []


def test_problems_match_stock_cfn_lint_and_name_rule_and_line():
    ours = cfn_lint.lint(BAD)
    stock = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in stock_lint(BAD, config={"regions": ["us-east-1"]})]
    assert ours == stock
    assert any(p.startswith("E3002 line 6:") and "MessageRetention" in p for p in ours)
    assert any(p.startswith("E3034 line 7:") and "43200" in p for p in ours)


def test_runner_is_reused_and_results_do_not_leak_between_templates():
    cfn_lint.lint(BAD)
    runner = cfn_lint._runner(("us-east-1",))
    assert cfn_lint.lint(GOOD) == [] and cfn_lint._runner(("us-east-1",)) is runner


def test_unparseable_template_is_reported():
    problems = cfn_lint.lint("Resources: [unclosed")
    assert problems and problems[0].startswith("E0000")
