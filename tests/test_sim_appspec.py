"""sim.appspec: per-platform validation and hook order."""

import pytest

from course_utils.sim import appspec

EC2 = {"version": 0.0, "os": "linux", "files": [{"source": "/", "destination": "/srv"}],
       "hooks": {"BeforeInstall": [{"location": "a.sh"}], "ValidateService": [{"location": "v.sh", "timeout": 300}]}}


def test_ec2_valid_and_errors():
    assert appspec.validate(EC2, "ec2") == []
    bad = dict(EC2, hooks={"Install": [{"location": "x"}], "AfterInstal": [{"location": "y"}], "ApplicationStart": [{"location": "z", "timeout": 4000}]})
    msgs = {p.path: p.message for p in appspec.validate(bad, "ec2")}
    assert "cannot take a hook" in msgs["hooks.Install"]
    assert "did you mean 'AfterInstall'" in msgs["hooks.AfterInstal"]
    assert "1 to 3600" in msgs["hooks.ApplicationStart[0].timeout"]


def test_lambda_and_ecs():
    lam = {"version": 0.0, "Resources": [{"fn": {"Type": "AWS::Lambda::Function", "Properties": {"Name": "f", "Alias": "live", "CurrentVersion": 1, "TargetVersion": 2}}}],
           "Hooks": [{"BeforeAllowTraffic": "check"}]}
    assert appspec.validate(lam, "lambda") == []
    lam["Hooks"] = [{"BeforeInstall": "x"}]
    assert "not valid here" in str(appspec.validate(lam, "lambda")[0])
    ecs = {"version": 0.0, "Resources": [{"svc": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "arn", "LoadBalancerInfo": {"ContainerName": "web"}}}}]}
    assert [p.path for p in appspec.validate(ecs, "ecs")] == ["Resources[0].svc.Properties.LoadBalancerInfo.ContainerPort"]
    with pytest.raises(ValueError, match="unknown compute platform"):
        appspec.validate(ecs, "k8s")


def test_hook_order():
    assert [e for e, _ in appspec.hook_order("lambda")] == ["Start", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic", "End"]
    ec2 = [e for e, _ in appspec.hook_order("ec2", load_balancer=False)]
    assert ec2.index("ApplicationStop") < ec2.index("BeforeInstall") < ec2.index("AfterInstall") < ec2.index("ApplicationStart") < ec2.index("ValidateService")
    assert dict(appspec.hook_order("ecs"))["AfterAllowTestTraffic"] is True


def test_plot_hook_order():
    import matplotlib

    matplotlib.use("Agg")
    fig, ax = appspec.plot_hook_order(used={"lambda": ["BeforeAllowTraffic"]})
    assert "lifecycle events" in ax.get_title()
