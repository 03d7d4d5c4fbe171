"""Checks, offline, that pipeline/roles.yaml's CloudFormation execution role covers what
template.yaml creates, and no more than it attaches or passes:

1. every resource type of the stack after the SAM transform belongs to a service the execution
   role has actions of (a new kind of resource in template.yaml fails here, not in a deploy);
2. the AWS managed policies the stack's roles attach are exactly the ones the execution role may
   attach (iam:PolicyARN);
3. the services the stack's roles trust are exactly the ones it may pass them to
   (iam:PassedToService).

    python pipeline/check-roles.py [template.yaml] [pipeline/roles.yaml]

Needs aws-sam-translator (it comes with aws-sam-cli).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from sam_offline import transformed_resources  # noqa: E402 (the shared transform, beside the other checks)
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

# CloudFormation namespace -> IAM service prefix, for each namespace the template uses.
SERVICE_PREFIX = {
    "ApiGateway": "apigateway",
    "CloudFront": "cloudfront",
    "CloudWatch": "cloudwatch",
    "CodeDeploy": "codedeploy",
    "Cognito": "cognito-idp",
    "DynamoDB": "dynamodb",
    "Events": "events",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Logs": "logs",
    "Pipes": "pipes",
    "RDS": "rds",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
    "SecretsManager": "secretsmanager",
    "WAFv2": "wafv2",
}


def partition_arn(value):
    """A managed policy ARN as written (a string or a Fn::Sub of ${AWS::Partition})."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        value = value["Fn::Sub"]
    if not isinstance(value, str):
        raise ValueError(f"cannot read the policy ARN {value!r}")
    return value.replace("${AWS::Partition}", "aws")


def as_list(value):
    return value if isinstance(value, list) else [value]


def transformed(path):
    return transformed_resources(path)


def execution_statements(roles):
    """The statements of the managed policies attached to the execution role."""
    resources = roles["Resources"]
    statements = []
    for reference in resources["ExecutionRole"]["Properties"]["ManagedPolicyArns"]:
        policy = resources[reference["Ref"]]
        statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def main(template_path="template.yaml", roles_path="pipeline/roles.yaml"):
    stack = transformed(template_path)
    with open(roles_path, encoding="utf-8") as handle:
        roles = yaml_parse(handle.read())
    statements = execution_statements(roles)
    failures = []

    prefixes = {action.split(":")[0] for s in statements for action in as_list(s["Action"])}
    namespaces = sorted({resource["Type"].split("::")[1] for resource in stack.values()})
    for namespace in namespaces:
        prefix = SERVICE_PREFIX.get(namespace)
        if prefix is None:
            failures.append(f"template.yaml creates AWS::{namespace} resources: give the execution role their permissions and add the namespace to {__file__}")
        elif prefix not in prefixes:
            failures.append(f"the execution role has no {prefix}: action, but template.yaml creates AWS::{namespace} resources")

    attached = set()
    trusted = set()
    for resource in stack.values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resource["Properties"]
        attached.update(partition_arn(arn) for arn in properties.get("ManagedPolicyArns", []))
        for statement in properties["AssumeRolePolicyDocument"]["Statement"]:
            trusted.update(as_list(statement.get("Principal", {}).get("Service", [])))

    def condition_values(action, operator, key):
        values = set()
        for statement in statements:
            if action in as_list(statement["Action"]):
                for value in as_list(statement.get("Condition", {}).get(operator, {}).get(key, [])):
                    values.add(partition_arn(value))
        return values

    allowed_policies = condition_values("iam:AttachRolePolicy", "ArnEquals", "iam:PolicyARN")
    if attached != allowed_policies:
        failures.append(
            f"managed policies: the stack attaches {sorted(attached)}, the execution role may attach {sorted(allowed_policies)}"
        )
    passable = condition_values("iam:PassRole", "StringEquals", "iam:PassedToService")
    if trusted != passable:
        failures.append(f"pass role: the stack's roles trust {sorted(trusted)}, the execution role may pass to {sorted(passable)}")

    print(f"stack resources: {len(stack)} of {len(namespaces)} services ({', '.join(namespaces)})")
    print(f"managed policies attached: {', '.join(sorted(p.rsplit('/', 1)[1] for p in attached))}")
    print(f"services the roles are passed to: {', '.join(sorted(trusted))}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
